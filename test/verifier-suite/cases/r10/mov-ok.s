; rule: r10.readonly
; type: socket_filter
; expect: accept
; twin: r10/mov-bad.s
; what: copy r10 and move the copy
r1 = r10
r1 += -8
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
