; rule: stack.spill-fill
; type: socket_filter
; expect: reject
; reason: invalid size of register fill
; errno: EACCES
; twin: stack/spill-ptr-ok.s
; what: a 4-byte fill of a spilled pointer is a scalar
*(u64 *)(r10 - 8) = r1
r2 = *(u32 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
