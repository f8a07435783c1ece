; rule: ctx.modified
; type: socket_filter
; expect: accept
; twin: ctx-skb/modified-ptr-bad.s
; what: moved and moved back: offset 0 again
r1 += 4
r1 += -4
r0 = *(u32 *)(r1 + 0)
exit
