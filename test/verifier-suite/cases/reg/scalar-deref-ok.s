; rule: reg.scalar-deref
; type: socket_filter
; expect: accept
; twin: reg/scalar-deref-bad.s
; what: a store through a stack pointer
r1 = r10
r0 = 0
*(u64 *)(r1 - 8) = r0
exit
