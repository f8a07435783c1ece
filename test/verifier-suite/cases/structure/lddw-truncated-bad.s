; rule: structure.lddw
; type: socket_filter
; expect: reject
; reason: invalid bpf_ld_imm64 insn
; errno: EINVAL
; twin: structure/lddw-truncated-ok.s
; what: a lddw whose second slot is an exit
.insn 0x0000000000000018
exit
