; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R2 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: r2 is not initialised at entry
r0 = r2
exit
