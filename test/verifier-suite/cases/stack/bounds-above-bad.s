; rule: stack.bounds
; type: socket_filter
; expect: reject
; reason: invalid write to stack R10 off=8 size=8
; errno: EACCES
; twin: stack/bounds-top-ok.s
; what: a store above the frame
*(u64 *)(r10 + 8) = 0
r0 = 0
exit
