; rule: structure.reserved
; type: socket_filter
; expect: accept
; twin: structure/reserved-src-bad.s
; what: mov64 r0, 1
.insn 0x00000001000000b7
exit
