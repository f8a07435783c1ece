; rule: call.args
; type: socket_filter
; expect: reject
; reason: R6 !read_ok
; errno: EACCES
; twin: call/args-ok.s
; what: r6 of the caller is not visible in the callee
r6 = 1
call f
exit
f:
r0 = r6
exit
