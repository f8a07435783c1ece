; rule: structure.unreachable
; type: socket_filter
; expect: reject
; reason: unreachable insn 2
; errno: EINVAL
; twin: structure/unreachable-ok.s
; what: instructions after the exit are dead
r0 = 0
exit
r0 = 1
exit
