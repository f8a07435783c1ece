; rule: structure.reserved
; type: socket_filter
; expect: reject
; reason: BPF_MOV uses reserved fields
; errno: EINVAL
; twin: structure/reserved-src-ok.s
; what: mov64 r0, 1 with src_reg 1 (reserved)
.insn 0x00000001000010b7
exit
