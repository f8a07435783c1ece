; rule: atomic.cmpxchg
; type: socket_filter
; expect: reject
; reason: R0 !read_ok
; errno: EACCES
; twin: atomic/cmpxchg-ok.s
; what: r0 is not set
*(u64 *)(r10 - 8) = 0
r1 = 1
r0 = cmpxchg_64(r10 - 8, r0, r1)
exit
