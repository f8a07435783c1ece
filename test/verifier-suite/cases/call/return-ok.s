; rule: call.return
; type: socket_filter
; expect: accept
; twin: call/return-bad.s
; what: the callee sets r0
r1 = 1
call f
exit
f:
r0 = r1
exit
