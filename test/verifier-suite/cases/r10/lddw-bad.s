; rule: r10.readonly
; type: socket_filter
; expect: reject
; reason: frame pointer is read only
; errno: EACCES
; twin: r10/mov-ok.s
; what: a lddw into r10
r10 = 0 ll
r0 = 0
exit
