; rule: stack.bounds
; type: socket_filter
; expect: reject
; reason: invalid read from stack R10 off=0 size=8
; errno: EACCES
; twin: stack/bounds-top-ok.s
; what: a load at the frame pointer itself
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 + 0)
exit
