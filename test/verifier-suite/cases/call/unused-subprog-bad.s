; rule: call.unreachable
; type: socket_filter
; expect: reject
; reason: unreachable insn 2
; errno: EINVAL
; twin: call/unused-subprog-ok.s
; what: code after the last exit that nobody calls
r0 = 0
exit
f:
r0 = 0
exit
