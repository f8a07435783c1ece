; rule: r10.readonly
; type: socket_filter
; expect: reject
; reason: frame pointer is read only
; errno: EACCES
; twin: r10/mov-ok.s
; what: an atomic exchange into r10
r1 = r10
*(u64 *)(r10 - 8) = r1
r10 = atomic64_xchg((u64 *)(r10 - 8), r10)
r0 = 0
exit
