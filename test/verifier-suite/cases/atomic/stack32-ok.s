; rule: atomic.ctx
; type: socket_filter
; expect: accept
; twin: atomic/ctx-bad.s
; what: a 32-bit atomic on the stack
*(u32 *)(r10 - 4) = 0
r2 = 1
lock *(u32 *)(r10 - 4) += w2
r0 = 0
exit
