; rule: reg.uninit
; type: socket_filter
; expect: accept
; twin: reg/uninit-src-bad.s
; what: r2 written first
r2 = 1
r0 = r2
exit
