; rule: call.last-insn
; type: socket_filter
; expect: accept
; twin: call/fallthrough-bad.s
; what: each subprogram ends with exit
call f
exit
f:
r0 = 0
exit
