; rule: call.frame
; type: socket_filter
; expect: accept
; twin: call/callee-stack-uninit-bad.s
; what: the callee's frame
*(u64 *)(r10 - 8) = 0
call f
exit
f:
*(u64 *)(r10 - 8) = 1
r0 = *(u64 *)(r10 - 8)
exit
