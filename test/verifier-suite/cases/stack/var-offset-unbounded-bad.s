; rule: stack.var-offset
; type: socket_filter
; expect: reject
; reason: math between fp pointer and register with unbounded min value is not allowed
; errno: EINVAL
; twin: stack/var-offset-write-ok.s
; what: r10 + an unbounded scalar
call 7
r1 = r0
r2 = r10
r2 += r1
*(u64 *)(r2 - 8) = 0
r0 = 0
exit
