; rule: call.stack-depth
; type: socket_filter
; expect: accept
; twin: call/stack-depth-bad.s
; what: 256 + 256 bytes
*(u64 *)(r10 - 256) = 0
call f
exit
f:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
