; rule: ptr.ptr-ptr
; type: socket_filter
; expect: reject
; reason: R2 tried to subtract pointer from scalar
; errno: EACCES
; twin: ptr/ptr-plus-ptr-ok.s
; what: scalar - pointer
r2 = 0
r2 -= r10
r0 = 0
exit
