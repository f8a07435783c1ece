; rule: reg.scalar-deref
; type: socket_filter
; expect: reject
; reason: R1 invalid mem access 'scalar'
; errno: EACCES
; twin: reg/scalar-deref-ok.s
; what: a store of an immediate through a scalar address
r1 = 4096
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
