; rule: ptr.ptr-ptr
; type: socket_filter
; expect: reject
; reason: R0 pointer ^= pointer prohibited
; errno: EACCES
; twin: ptr/ptr-plus-ptr-ok.s
; what: pointer ^= pointer, even privileged
r0 = r10
r0 ^= r1
r0 = 0
exit
