; rule: stack.spill-fill
; type: socket_filter
; expect: reject
; reason: R2 invalid mem access 'scalar'
; errno: EACCES
; twin: stack/spill-ptr-ok.s
; what: one byte of the spilled pointer overwritten
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
