; rule: structure.lddw-middle
; type: socket_filter
; expect: reject
; reason: jump into the middle of ldimm64 insn 2
; errno: EINVAL
; twin: structure/lddw-middle-ok.s
; what: a jump into the second slot of a lddw
r0 = 0
if r1 == 0 goto +1
r2 = 5 ll
exit
