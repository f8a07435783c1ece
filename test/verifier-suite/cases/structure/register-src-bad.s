; rule: structure.register
; type: socket_filter
; expect: reject
; reason: R12 is invalid
; errno: EINVAL
; twin: structure/register-number-ok.s
; what: r1 = r12
r0 = 0
.insn 0x000000000000c1bf
exit
