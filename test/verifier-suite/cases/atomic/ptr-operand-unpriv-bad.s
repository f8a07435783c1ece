; rule: atomic.operand
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R10 leaks addr into mem
; errno: EACCES
; twin: atomic/ptr-operand-priv-ok.s
; what: unprivileged: refused
*(u64 *)(r10 - 8) = 0
lock *(u64 *)(r10 - 8) += r10
r0 = 0
exit
