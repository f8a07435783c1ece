; rule: alu.shift-range
; type: socket_filter
; expect: accept
; twin: alu/shift-range-bad.s
; what: shift by 63
r0 = 1
r0 <<= 63
exit
