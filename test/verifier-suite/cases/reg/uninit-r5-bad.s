; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R5 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: r5 is not an argument of the program
r0 = r5
exit
