; rule: structure.lddw
; type: socket_filter
; expect: reject
; reason: unrecognized bpf_ld_imm64 insn
; errno: EINVAL
; twin: structure/lddw-truncated-ok.s
; what: lddw with src_reg 7 (no such pseudo source)
.insn 0x0000000000007018
.insn 0x0000000000000000
exit
