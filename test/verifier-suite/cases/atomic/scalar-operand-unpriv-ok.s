; rule: atomic.operand
; type: socket_filter
; priv: unprivileged
; expect: accept
; twin: atomic/ptr-operand-unpriv-bad.s
; what: unprivileged: a scalar operand
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit
