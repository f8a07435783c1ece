; rule: structure.last-insn
; type: socket_filter
; expect: accept
; twin: structure/last-insn-bad.s
; what: the last instruction may be an unconditional jump
r0 = 0
if r1 == 0 goto +1
exit
r0 = 1
goto -3
