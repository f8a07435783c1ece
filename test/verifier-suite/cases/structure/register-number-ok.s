; rule: structure.register
; type: socket_filter
; expect: accept
; twin: structure/register-number-bad.s
; what: r9 = 1
.insn 0x00000001000009b7
r0 = 0
exit
