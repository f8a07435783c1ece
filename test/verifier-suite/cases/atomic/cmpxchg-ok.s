; rule: atomic.cmpxchg
; type: socket_filter
; expect: accept
; twin: atomic/cmpxchg-bad.s
; what: cmpxchg compares with r0, which is set
*(u64 *)(r10 - 8) = 0
r0 = 0
r1 = 1
r0 = cmpxchg_64(r10 - 8, r0, r1)
exit
