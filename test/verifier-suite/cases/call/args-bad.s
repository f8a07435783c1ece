; rule: call.args
; type: socket_filter
; expect: reject
; reason: R2 !read_ok
; errno: EACCES
; twin: call/args-ok.s
; what: the callee reads r2 the caller did not set
r1 = 1
call f
exit
f:
r0 = r2
exit
