; rule: structure.jump-range
; type: socket_filter
; expect: reject
; reason: jump out of range from insn 1 to 4
; errno: EINVAL
; twin: structure/jump-range-ok.s
; what: a jump one past the end
r0 = 0
if r1 == 0 goto +2
r0 = 1
exit
