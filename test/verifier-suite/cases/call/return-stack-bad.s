; rule: call.return-stack
; type: socket_filter
; expect: reject
; reason: cannot return stack pointer to the caller
; errno: EINVAL
; twin: call/return-stack-ok.s
; what: the callee returns a pointer to its own stack
call f
r0 = 0
exit
f:
r0 = r10
r0 += -8
exit
