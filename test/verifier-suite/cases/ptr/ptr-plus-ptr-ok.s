; rule: ptr.ptr-ptr
; type: socket_filter
; expect: accept
; twin: ptr/ptr-plus-ptr-bad.s
; what: privileged: pointer - pointer is a scalar
r2 = r10
r2 -= r1
r0 = r2
exit
