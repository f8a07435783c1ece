; rule: structure.opcode
; type: socket_filter
; expect: accept
; twin: structure/opcode-bad.s
; what: mov64 r0, 0 written as raw bits
.insn 0x00000000000000b7
exit
