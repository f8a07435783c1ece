; rule: stack.var-offset
; type: socket_filter
; expect: accept
; twin: stack/var-offset-write-bad.s
; what: a variable-offset store inside the frame
call 7
r1 = r0
r1 &= 8
r2 = r10
r2 += -16
r2 += r1
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
