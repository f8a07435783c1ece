; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: The sequence of 8193 jumps is too complex.
; errno: EFAULT
; twin: loop/unknown-bound-ok.s
; what: counting an unknown down to 0
call 7
r6 = r0
loop:
if r6 == 0 goto done
r6 -= 1
goto loop
done:
r0 = 0
exit
