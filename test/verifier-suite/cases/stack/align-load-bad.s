; rule: stack.align
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+0+-10 size 4
; errno: EACCES
; twin: stack/align-ok.s
; what: a 4-byte load at r10-10
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r0 = *(u32 *)(r10 - 10)
exit
