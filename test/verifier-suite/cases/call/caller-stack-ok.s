; rule: call.stack-arg
; type: socket_filter
; expect: accept
; twin: call/caller-stack-bad.s
; what: the callee writes the caller's slot
r1 = r10
r1 += -8
call f
r0 = *(u64 *)(r10 - 8)
exit
f:
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
