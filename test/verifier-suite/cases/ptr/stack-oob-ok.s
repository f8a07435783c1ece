; rule: ptr.stack
; type: socket_filter
; expect: accept
; twin: ptr/stack-oob-bad.s
; what: fp - 512
r2 = r10
r2 += -512
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
