; rule: call.frame
; type: socket_filter
; expect: accept
; twin: call/r10-callee-bad.s
; what: the callee has its own frame
call f
exit
f:
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
