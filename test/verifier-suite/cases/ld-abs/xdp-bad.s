; rule: pkt.ld-abs
; type: xdp
; expect: reject
; reason: BPF_LD_[ABS|IND] instructions not allowed for this program type
; errno: EINVAL
; twin: ld-abs/ctx-in-r6-ok.s
; what: XDP programs have no LD_ABS
r6 = r1
r0 = *(u8 *)skb[0]
exit
