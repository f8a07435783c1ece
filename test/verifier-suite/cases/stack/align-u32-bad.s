; rule: stack.align
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+0+-6 size 4
; errno: EACCES
; twin: stack/align-ok.s
; what: a 4-byte store at r10-6
*(u32 *)(r10 - 6) = 0
r0 = 0
exit
