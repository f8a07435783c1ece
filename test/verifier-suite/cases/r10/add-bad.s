; rule: r10.readonly
; type: socket_filter
; expect: reject
; reason: frame pointer is read only
; errno: EACCES
; twin: r10/mov-ok.s
; what: r10 += -8
r10 += -8
r0 = 0
exit
