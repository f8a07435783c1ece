; rule: alu.div-by-zero
; type: socket_filter
; expect: accept
; twin: alu/div32-zero-reg-bad.s
w0 = 1
w1 = 0
w0 /= w1
exit
