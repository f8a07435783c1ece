; rule: pkt.ld-abs
; type: sched_cls
; expect: accept
; twin: ld-abs/xdp-bad.s
; what: tc programs may use LD_ABS
r6 = r1
r0 = *(u8 *)skb[0]
exit
