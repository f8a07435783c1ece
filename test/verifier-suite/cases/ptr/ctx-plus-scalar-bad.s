; rule: ptr.ctx
; type: socket_filter
; expect: reject
; reason: dereference of modified ctx ptr R2 off=8 disallowed
; errno: EACCES
; twin: ptr/ctx-plus-scalar-ok.s
; what: moved ctx with the offset in the load
r2 = r1
r2 += 8
r0 = *(u32 *)(r2 - 8)
exit
