; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R3 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: r3 read by an ALU operation
r0 = 0
r0 += r3
exit
