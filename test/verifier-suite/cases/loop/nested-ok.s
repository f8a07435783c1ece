; rule: loop.bounded
; type: socket_filter
; expect: accept
; twin: loop/nested-bad.s
; what: 10 x 10 iterations
r1 = 0
outer:
r2 = 0
inner:
r2 += 1
if r2 < 10 goto inner
r1 += 1
if r1 < 10 goto outer
r0 = 0
exit
