; rule: structure.reserved
; type: socket_filter
; expect: reject
; reason: BPF_EXIT uses reserved fields
; errno: EINVAL
; twin: structure/reserved-src-ok.s
; what: exit with imm 1
r0 = 0
.insn 0x0000000100000095
