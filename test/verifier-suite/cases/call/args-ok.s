; rule: call.args
; type: socket_filter
; expect: accept
; twin: call/args-bad.s
; what: the callee reads r2 the caller set
r1 = 1
r2 = 2
call f
exit
f:
r0 = r2
exit
