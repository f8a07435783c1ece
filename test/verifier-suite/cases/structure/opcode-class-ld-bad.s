; rule: structure.opcode
; type: socket_filter
; expect: reject
; reason: unknown opcode 00
; errno: EINVAL
; twin: structure/opcode-ok.s
; what: opcode 0x00 (LD|IMM|W) is not an instruction
.insn 0x0000000000000000
r0 = 0
exit
