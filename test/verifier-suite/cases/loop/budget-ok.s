; rule: loop.too-many-insns
; type: socket_filter
; expect: accept
; twin: loop/budget-bad.s
; what: 10,000 iterations: 30,000 instructions processed
r1 = 0
loop:
r1 += 1
if r1 < 10000 goto loop
r0 = 0
exit
