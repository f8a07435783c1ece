; rule: alu.div-by-zero
; type: socket_filter
; expect: accept
; twin: alu/div-zero-reg-bad.s
; what: division by an unknown (possibly zero) register
call 7
r1 = r0
r0 = 100
r0 /= r1
exit
