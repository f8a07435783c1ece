; rule: atomic.ctx
; type: socket_filter
; expect: reject
; reason: BPF_ATOMIC stores into R1 ctx is not allowed
; errno: EACCES
; twin: atomic/stack32-ok.s
; what: an atomic on the context
r2 = 1
lock *(u32 *)(r1 + 48) += w2
r0 = 0
exit
