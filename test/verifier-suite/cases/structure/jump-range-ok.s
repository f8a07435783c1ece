; rule: structure.jump-range
; type: socket_filter
; expect: accept
; twin: structure/jump-range-bad.s
; what: a jump to the last instruction
r0 = 0
if r1 == 0 goto +1
r0 = 1
exit
