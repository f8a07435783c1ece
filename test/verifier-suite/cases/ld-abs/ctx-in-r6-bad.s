; rule: pkt.ld-abs
; type: socket_filter
; expect: reject
; reason: R6 !read_ok
; errno: EACCES
; twin: ld-abs/ctx-in-r6-ok.s
; what: r6 not set
r0 = *(u8 *)skb[0]
exit
