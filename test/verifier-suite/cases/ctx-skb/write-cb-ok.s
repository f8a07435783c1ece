; rule: ctx.socket_filter.write
; type: socket_filter
; expect: accept
; twin: ctx-skb/write-cb-bad.s
; what: cb[0] and cb[4] are writable
r2 = 1
*(u32 *)(r1 + 48) = r2
*(u32 *)(r1 + 64) = r2
r0 = 0
exit
