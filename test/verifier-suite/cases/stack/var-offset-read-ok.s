; rule: stack.var-offset
; type: socket_filter
; expect: accept
; twin: stack/var-offset-read-bad.s
; what: r10-16 + {0,8}: inside the frame
call 7
r1 = r0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r1 &= 8
r2 = r10
r2 += -16
r2 += r1
r0 = *(u64 *)(r2 + 0)
exit
