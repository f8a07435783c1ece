; rule: alu.div-by-zero
; type: socket_filter
; expect: accept
; twin: alu/mod-zero-reg-bad.s
; what: modulo by a register holding 0 is defined
r0 = 1
r1 = 0
r0 %= r1
exit
