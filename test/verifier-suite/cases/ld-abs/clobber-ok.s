; rule: pkt.ld-abs
; type: socket_filter
; expect: accept
; twin: ld-abs/clobber-bad.s
; what: LD_ABS keeps r7
r6 = r1
r7 = 5
r0 = *(u32 *)skb[0]
r0 = r7
exit
