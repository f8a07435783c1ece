; rule: call.return
; type: socket_filter
; expect: reject
; reason: R0 !read_ok
; errno: EACCES
; twin: call/return-ok.s
; what: the callee returns without setting r0
r1 = 1
call f
exit
f:
exit
