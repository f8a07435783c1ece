; rule: structure.last-insn
; type: socket_filter
; expect: reject
; reason: last insn is not an exit or jmp
; errno: EINVAL
; twin: structure/last-insn-ok.s
; what: control falls off the end
r0 = 0
if r1 == 0 goto +1
exit
r0 = 1
