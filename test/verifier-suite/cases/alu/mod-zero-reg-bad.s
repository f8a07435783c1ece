; rule: alu.div-by-zero
; type: socket_filter
; expect: reject
; reason: div by zero
; errno: EINVAL
; twin: alu/mod-zero-reg-ok.s
; what: modulo by the constant 0
r0 = 1
r0 %= 0
exit
