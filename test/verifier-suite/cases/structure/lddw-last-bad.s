; rule: structure.lddw
; type: socket_filter
; expect: reject
; reason: last insn is not an exit or jmp
; errno: EINVAL
; twin: structure/lddw-truncated-ok.s
; what: a lddw cut off by the end of the program
r0 = 0
exit
.insn 0x0000000000000018
