; rule: reg.call-clobber
; type: socket_filter
; expect: reject
; reason: R1 !read_ok
; errno: EACCES
; twin: reg/r6-survives-call-ok.s
; what: r1 is clobbered by a helper call
r1 = 1
call 7
r0 = r1
exit
