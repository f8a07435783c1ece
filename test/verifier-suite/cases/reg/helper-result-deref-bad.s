; rule: reg.scalar-deref
; type: socket_filter
; expect: reject
; reason: R0 invalid mem access 'scalar'
; errno: EACCES
; twin: reg/scalar-deref-ok.s
; what: bpf_get_prandom_u32 returns a scalar
call 7
r0 = *(u64 *)(r0 + 0)
exit
