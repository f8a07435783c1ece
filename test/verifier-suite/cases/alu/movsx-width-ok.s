; rule: alu.movsx
; type: socket_filter
; expect: accept
; twin: alu/movsx-width-bad.s
; what: r0 = (s16)r1
r1 = 1
r0 = (s16)r1
exit
