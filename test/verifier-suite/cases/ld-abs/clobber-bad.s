; rule: pkt.ld-abs
; type: socket_filter
; expect: reject
; reason: R2 !read_ok
; errno: EACCES
; twin: ld-abs/clobber-ok.s
; what: LD_ABS clobbers r1-r5 like a call
r6 = r1
r2 = 5
r0 = *(u32 *)skb[0]
r0 = r2
exit
