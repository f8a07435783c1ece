; rule: ctx.socket_filter.cb
; type: socket_filter
; expect: accept
; twin: ctx-skb/cb-wide-bad.s
; what: 8-byte loads across cb[0..1], cb[2..3]
r0 = *(u64 *)(r1 + 48)
r0 = *(u64 *)(r1 + 56)
exit
