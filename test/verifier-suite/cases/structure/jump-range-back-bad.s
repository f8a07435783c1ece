; rule: structure.jump-range
; type: socket_filter
; expect: reject
; reason: jump out of range from insn 1 to -1
; errno: EINVAL
; twin: structure/jump-range-ok.s
; what: a jump before the first instruction
r0 = 0
goto -3
exit
