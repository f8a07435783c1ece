; rule: alu.div-by-zero
; type: socket_filter
; expect: reject
; reason: div by zero
; errno: EINVAL
; twin: alu/mod32-zero-reg-ok.s
w0 = 1
w0 %= 0
exit
