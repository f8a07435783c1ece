; rule: atomic.fetch
; type: socket_filter
; expect: reject
; reason: R1 invalid mem access 'scalar'
; errno: EACCES
; twin: atomic/fetch-ok.s
; what: and cannot be dereferenced
*(u64 *)(r10 - 8) = 0
r1 = 1
r1 = atomic64_fetch_add((u64 *)(r10 - 8), r1)
r0 = *(u64 *)(r1 + 0)
exit
