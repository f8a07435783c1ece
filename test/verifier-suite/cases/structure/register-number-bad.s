; rule: structure.register
; type: socket_filter
; expect: reject
; reason: R11 is invalid
; errno: EINVAL
; twin: structure/register-number-ok.s
; what: r11 = 1: there is no r11
.insn 0x0000000100000bb7
r0 = 0
exit
