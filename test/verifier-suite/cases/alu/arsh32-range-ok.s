; rule: alu.shift-range
; type: socket_filter
; expect: accept
; twin: alu/arsh32-range-bad.s
w0 = 1
w0 s>>= 31
exit
