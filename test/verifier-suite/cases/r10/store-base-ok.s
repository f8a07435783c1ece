; rule: r10.readonly
; type: socket_filter
; expect: accept
; twin: r10/mov-bad.s
; what: r10 as a base register is fine
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
