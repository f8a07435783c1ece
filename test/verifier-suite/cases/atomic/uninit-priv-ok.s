; rule: atomic.stack-init
; type: socket_filter
; expect: accept
; twin: atomic/uninit-unpriv-bad.s
; what: privileged: an atomic add on a never-written slot
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit
