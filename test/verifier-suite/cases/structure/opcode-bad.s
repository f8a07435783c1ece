; rule: structure.opcode
; type: socket_filter
; expect: reject
; reason: unknown opcode e7
; errno: EINVAL
; twin: structure/opcode-ok.s
; what: opcode 0xe7 (ALU64 op 0xe0) does not exist
.insn 0x00000000000000e7
r0 = 0
exit
