; rule: call.clobber
; type: socket_filter
; expect: accept
; twin: call/helper-in-callee-bad.s
; what: a helper call inside a subprogram
call f
exit
f:
r6 = r1
call 7
r0 = *(u32 *)(r6 + 0)
exit
