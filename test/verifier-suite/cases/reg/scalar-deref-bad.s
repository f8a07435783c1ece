; rule: reg.scalar-deref
; type: socket_filter
; expect: reject
; reason: R1 invalid mem access 'scalar'
; errno: EACCES
; twin: reg/scalar-deref-ok.s
; what: a load through a scalar
r1 = 0
r0 = *(u64 *)(r1 + 0)
exit
