; rule: atomic.operand
; type: socket_filter
; expect: accept
; twin: atomic/ptr-operand-unpriv-bad.s
; what: privileged: a pointer as the operand of an atomic add
*(u64 *)(r10 - 8) = 0
lock *(u64 *)(r10 - 8) += r10
r0 = 0
exit
