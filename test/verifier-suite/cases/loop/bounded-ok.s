; rule: loop.bounded
; type: socket_filter
; expect: accept
; twin: loop/bounded-bad.s
; what: a counter from 0 to 10
r1 = 0
loop:
r1 += 1
if r1 < 10 goto loop
r0 = 0
exit
