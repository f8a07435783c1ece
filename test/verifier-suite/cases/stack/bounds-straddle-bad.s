; rule: stack.bounds
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+0+-4 size 8
; errno: EACCES
; twin: stack/bounds-top-ok.s
; what: an 8-byte load at r10-4 crosses the top of the frame
*(u32 *)(r10 - 4) = 0
r0 = *(u64 *)(r10 - 4)
exit
