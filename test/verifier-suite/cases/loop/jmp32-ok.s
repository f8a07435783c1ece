; rule: loop.bounded
; type: socket_filter
; expect: accept
; twin: loop/jmp32-bad.s
; what: a 32-bit counter
w1 = 0
loop:
w1 += 1
if w1 < 10 goto loop
r0 = 0
exit
