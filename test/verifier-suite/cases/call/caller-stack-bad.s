; rule: call.stack-arg
; type: socket_filter
; expect: reject
; reason: invalid write to stack R1 off=0 size=8
; errno: EACCES
; twin: call/caller-stack-ok.s
; what: the callee writes above the caller's frame
r1 = r10
r1 += -8
call f
r0 = 0
exit
f:
*(u64 *)(r1 + 8) = 0
r0 = 0
exit
