; rule: call.clobber
; type: socket_filter
; expect: reject
; reason: R1 !read_ok
; errno: EACCES
; twin: call/helper-in-callee-ok.s
; what: r1 clobbered by it
call f
exit
f:
call 7
r0 = *(u32 *)(r1 + 0)
exit
