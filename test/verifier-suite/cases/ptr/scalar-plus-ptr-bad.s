; rule: ptr.scalar-ptr
; type: socket_filter
; expect: reject
; reason: invalid write to stack R2 off=0 size=8
; errno: EACCES
; twin: ptr/scalar-plus-ptr-ok.s
; what: and it keeps the stack bounds
r2 = -8
r2 += r10
*(u64 *)(r2 + 8) = 0
r0 = 0
exit
