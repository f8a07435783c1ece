; rule: structure.reserved
; type: socket_filter
; expect: reject
; reason: BPF_JA uses reserved fields
; errno: EINVAL
; twin: structure/reserved-src-ok.s
; what: goto +0 with dst_reg 1
r0 = 0
.insn 0x0000000000000105
exit
