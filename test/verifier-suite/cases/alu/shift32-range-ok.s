; rule: alu.shift-range
; type: socket_filter
; expect: accept
; twin: alu/shift32-range-bad.s
w0 = 1
w0 <<= 31
exit
