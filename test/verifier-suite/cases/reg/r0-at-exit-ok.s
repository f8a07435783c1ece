; rule: reg.r0-at-exit
; type: socket_filter
; expect: accept
; twin: reg/r0-at-exit-bad.s
; what: r0 is set before exit
r0 = 0
exit
