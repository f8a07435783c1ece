; rule: structure.lddw-middle
; type: socket_filter
; expect: accept
; twin: structure/lddw-middle-bad.s
; what: a jump over both slots of a lddw
r0 = 0
if r1 == 0 goto +2
r2 = 5 ll
exit
