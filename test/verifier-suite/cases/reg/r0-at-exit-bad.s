; rule: reg.r0-at-exit
; type: socket_filter
; expect: reject
; reason: R0 !read_ok
; errno: EACCES
; twin: reg/r0-at-exit-ok.s
; what: r0 is never written
exit
