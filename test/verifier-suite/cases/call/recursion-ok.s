; rule: call.recursion
; type: socket_filter
; expect: accept
; twin: call/recursion-bad.s
; what: a call
r1 = 0
call f
exit
f:
r0 = 0
exit
