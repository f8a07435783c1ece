; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R4 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: r4 += 1 reads r4
r4 += 1
r0 = 0
exit
