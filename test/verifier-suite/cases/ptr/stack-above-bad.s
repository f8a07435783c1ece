; rule: ptr.stack
; type: socket_filter
; expect: reject
; reason: invalid read from stack R2 off=0 size=8
; errno: EACCES
; twin: ptr/stack-oob-ok.s
; what: fp + 8, then 8 bytes at fp
r2 = r10
r2 += 8
r0 = *(u64 *)(r2 - 8)
exit
