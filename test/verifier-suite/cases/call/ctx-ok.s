; rule: call.ctx
; type: socket_filter
; expect: accept
; twin: call/ctx-bad.s
; what: the callee reads the context passed in r1
call f
exit
f:
r0 = *(u32 *)(r1 + 0)
exit
