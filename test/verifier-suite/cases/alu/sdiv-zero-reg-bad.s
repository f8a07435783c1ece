; rule: alu.div-by-zero
; type: socket_filter
; expect: reject
; reason: div by zero
; errno: EINVAL
; twin: alu/sdiv-zero-reg-ok.s
r0 = 1
r0 s/= 0
exit
