; rule: alu.movsx
; type: socket_filter
; expect: reject
; reason: BPF_MOV uses reserved fields
; errno: EINVAL
; twin: alu/movsx-width-ok.s
; what: movsx with offset 24 (only 8, 16, 32 exist)
r1 = 1
.insn 0x00000000001810bf
exit
