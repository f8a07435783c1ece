; rule: stack.align
; type: socket_filter
; expect: reject
; reason: misaligned stack access off 0+-7+0 size 8
; errno: EACCES
; twin: stack/align-ok.s
; what: an 8-byte store through r10-7
r1 = r10
r1 += -7
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
