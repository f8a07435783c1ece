; rule: alu.div-by-zero
; type: socket_filter
; expect: reject
; reason: div by zero
; errno: EINVAL
; twin: alu/div-zero-reg-ok.s
; what: division by the constant 0
r0 = 1
r0 /= 0
exit
