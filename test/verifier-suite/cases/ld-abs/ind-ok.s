; rule: pkt.ld-abs
; type: socket_filter
; expect: accept
; twin: ld-abs/ind-bad.s
; what: LD_IND with an initialised index register
r6 = r1
r7 = 2
r0 = *(u16 *)skb[r7 + 0]
exit
