; rule: stack.align
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+0+-4 size 8
; errno: EACCES
; twin: stack/align-ok.s
; what: an 8-byte store at r10-4
*(u64 *)(r10 - 4) = 0
r0 = 0
exit
