; rule: loop.may-goto
; type: socket_filter
; expect: accept
; twin: loop/may-goto-bad.s
; what: an endless loop bounded by may_goto
r0 = 0
loop:
may_goto done
r1 = 1
goto loop
done:
exit
