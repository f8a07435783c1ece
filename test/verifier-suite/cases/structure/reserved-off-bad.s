; rule: structure.reserved
; type: socket_filter
; expect: reject
; reason: BPF_ALU uses reserved fields
; errno: EINVAL
; twin: structure/reserved-src-ok.s
; what: add64 r0, 1 with a non-zero offset
.insn 0x00000001000000b7
.insn 0x0000000100030007
exit
