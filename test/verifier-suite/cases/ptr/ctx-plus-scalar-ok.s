; rule: ptr.ctx
; type: socket_filter
; expect: accept
; twin: ptr/ctx-plus-scalar-bad.s
; what: ctx moved and moved back
r2 = r1
r2 += 8
r2 += -8
r0 = *(u32 *)(r2 + 0)
exit
