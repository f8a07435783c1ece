; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R3 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: storing uninitialised r3
*(u64 *)(r10 - 8) = r3
r0 = 0
exit
