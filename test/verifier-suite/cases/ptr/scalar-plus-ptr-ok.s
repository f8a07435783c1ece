; rule: ptr.scalar-ptr
; type: socket_filter
; expect: accept
; twin: ptr/scalar-plus-ptr-bad.s
; what: scalar + fp is a stack pointer
r2 = -8
r2 += r10
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
