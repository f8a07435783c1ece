; rule: call.last-insn
; type: socket_filter
; expect: reject
; reason: last insn is not an exit or jmp
; errno: EINVAL
; twin: call/fallthrough-ok.s
; what: f falls into g
call f
call g
exit
f:
r0 = 0
g:
r0 = 1
exit
