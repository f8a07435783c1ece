; rule: atomic.stack
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+0+-4 size 8
; errno: EACCES
; twin: atomic/stack-ok.s
; what: an 8-byte atomic at r10-4
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 4) += r1
r0 = 0
exit
