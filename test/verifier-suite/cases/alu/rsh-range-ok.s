; rule: alu.shift-range
; type: socket_filter
; expect: accept
; twin: alu/rsh-range-bad.s
r0 = 1
r0 >>= 63
exit
