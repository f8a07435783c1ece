; rule: pkt.ld-abs
; type: socket_filter
; expect: reject
; reason: at the time of BPF_LD_ABS|IND R6 != pointer to skb
; errno: EINVAL
; twin: ld-abs/ctx-in-r6-ok.s
; what: r6 holds a scalar
r6 = 0
r0 = *(u8 *)skb[0]
exit
