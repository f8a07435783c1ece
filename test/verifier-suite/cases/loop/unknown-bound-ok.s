; rule: loop.bounded
; type: socket_filter
; expect: accept
; twin: loop/unknown-bound-bad.s
; what: up to an unknown bound in [0,15]
call 7
r6 = r0
r6 &= 15
r1 = 0
loop:
if r1 >= r6 goto done
r1 += 1
goto loop
done:
r0 = 0
exit
