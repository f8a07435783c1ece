; rule: alu.div-by-zero
; type: socket_filter
; expect: accept
; twin: alu/div-zero-reg-bad.s
; what: division by a register holding 0 is defined (gives 0)
r0 = 1
r1 = 0
r0 /= r1
exit
