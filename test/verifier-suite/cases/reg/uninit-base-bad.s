; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R3 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: loading through uninitialised r3
r0 = *(u64 *)(r3 + 0)
exit
