; rule: reg.call-clobber
; type: socket_filter
; expect: accept
; twin: reg/r1-clobbered-bad.s
; what: r6 is callee-saved
r6 = 1
call 7
r0 = r6
exit
