; rule: structure.lddw
; type: socket_filter
; expect: reject
; reason: invalid bpf_ld_imm64 insn
; errno: EINVAL
; twin: structure/lddw-truncated-ok.s
; what: the second slot of a lddw has dst_reg set
.insn 0x0000000000000018
.insn 0x0000000000000100
exit
