; rule: pkt.ld-abs
; type: socket_filter
; expect: reject
; reason: R7 !read_ok
; errno: EACCES
; twin: ld-abs/ind-ok.s
; what: index register r7 not initialised
r6 = r1
r0 = *(u16 *)skb[r7 + 0]
exit
