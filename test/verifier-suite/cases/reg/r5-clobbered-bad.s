; rule: reg.call-clobber
; type: socket_filter
; expect: reject
; reason: R5 !read_ok
; errno: EACCES
; twin: reg/r6-survives-call-ok.s
; what: r5 is clobbered by a helper call
r5 = 1
call 7
r0 = r5
exit
