; rule: reg.r0-at-exit
; type: socket_filter
; expect: reject
; reason: R0 !read_ok
; errno: EACCES
; twin: reg/r0-at-exit-ok.s
; what: r0 is set on one path only
if r1 == 0 goto +1
r0 = 0
exit
