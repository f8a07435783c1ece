; rule: structure.opcode
; type: socket_filter
; expect: reject
; reason: BPF_LDX uses reserved fields
; errno: EINVAL
; twin: structure/opcode-ok.s
; what: LDX with mode XADD (0x40) does not exist
r0 = 0
.insn 0x00000000fff8a041
exit
