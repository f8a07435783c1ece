; rule: call.return-stack
; type: socket_filter
; expect: accept
; twin: call/return-stack-bad.s
; what: the callee returns a value from its stack
call f
exit
f:
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
