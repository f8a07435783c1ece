; rule: alu.endian
; type: socket_filter
; expect: reject
; reason: BPF_END uses reserved fields
; errno: EINVAL
; twin: alu/endian-width-ok.s
; what: be with width 8 (only 16, 32, 64 exist)
r0 = 1
.insn 0x00000008000000dc
exit
