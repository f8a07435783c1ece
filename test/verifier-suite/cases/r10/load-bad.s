; rule: r10.readonly
; type: socket_filter
; expect: reject
; reason: frame pointer is read only
; errno: EACCES
; twin: r10/mov-ok.s
; what: a load into r10
r10 = *(u64 *)(r1 + 0)
r0 = 0
exit
