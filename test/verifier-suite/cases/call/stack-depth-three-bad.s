; rule: call.stack-depth
; type: socket_filter
; expect: reject
; reason: combined stack size of 3 calls is 624. Too large
; errno: EACCES
; twin: call/stack-depth-ok.s
; what: three frames of 200 bytes (224 each, rounded)
*(u64 *)(r10 - 200) = 0
call f
exit
f:
*(u64 *)(r10 - 200) = 0
call g
exit
g:
*(u64 *)(r10 - 200) = 0
r0 = 0
exit
