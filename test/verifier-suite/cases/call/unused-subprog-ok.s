; rule: call.unreachable
; type: socket_filter
; expect: accept
; twin: call/unused-subprog-bad.s
; what: the subprogram is called
call f
exit
f:
r0 = 0
exit
