; rule: ptr.ptr-ptr
; type: socket_filter
; expect: reject
; reason: R2 pointer += pointer prohibited
; errno: EACCES
; twin: ptr/ptr-plus-ptr-ok.s
; what: pointer + pointer is prohibited
r2 = r10
r2 += r1
r0 = 0
exit
