; rule: pkt.ld-abs
; type: socket_filter
; expect: accept
; twin: ld-abs/ctx-in-r6-bad.s
; what: LD_ABS needs the skb in r6
r6 = r1
r0 = *(u8 *)skb[0]
exit
