; rule: alu.div-by-zero
; type: socket_filter
; expect: accept
; twin: alu/sdiv-zero-reg-bad.s
r0 = 1
r1 = 0
r0 s/= r1
exit
