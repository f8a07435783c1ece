; rule: call.frame
; type: socket_filter
; expect: reject
; reason: invalid read from stack R10 off=0 size=8
; errno: EACCES
; twin: call/callee-stack-uninit-ok.s
; what: the callee reads at its r10
*(u64 *)(r10 - 8) = 0
call f
exit
f:
r0 = *(u64 *)(r10 + 0)
exit
