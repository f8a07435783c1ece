; rule: structure.lddw
; type: socket_filter
; expect: accept
; twin: structure/lddw-truncated-bad.s
; what: a complete lddw
r0 = 0 ll
exit
