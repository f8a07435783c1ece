; rule: call.stack-depth
; type: socket_filter
; expect: accept
; twin: call/stack-depth-bad.s
; what: two sibling calls of 256 bytes: the deepest chain counts
*(u64 *)(r10 - 256) = 0
call f
call g
exit
f:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
g:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
