; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: The sequence of 8193 jumps is too complex.
; errno: EFAULT
; twin: loop/unknown-bound-ok.s
; what: up to an unbounded unknown
call 7
r6 = r0
r1 = 0
loop:
if r1 >= r6 goto done
r1 += 1
goto loop
done:
r0 = 0
exit
