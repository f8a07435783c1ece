; rule: ctx.socket_filter.narrow
; type: socket_filter
; expect: accept
; twin: ctx-skb/narrow-bad.s
; what: byte and half-word loads of len
r0 = *(u8 *)(r1 + 0)
r0 = *(u8 *)(r1 + 3)
r0 = *(u16 *)(r1 + 2)
exit
