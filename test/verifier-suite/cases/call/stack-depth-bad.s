; rule: call.stack-depth
; type: socket_filter
; expect: reject
; reason: combined stack size of 2 calls is 528. Too large
; errno: EACCES
; twin: call/stack-depth-ok.s
; what: 256 + 264 bytes (rounded to 288): 544
*(u64 *)(r10 - 256) = 0
call f
exit
f:
*(u64 *)(r10 - 264) = 0
r0 = 0
exit
