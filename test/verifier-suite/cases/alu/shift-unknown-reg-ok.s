; rule: alu.shift-range
; type: socket_filter
; expect: accept
; twin: alu/shift-range-bad.s
; what: a shift by an unknown register amount is allowed
call 7
r1 = r0
r0 = 1
r0 <<= r1
exit
