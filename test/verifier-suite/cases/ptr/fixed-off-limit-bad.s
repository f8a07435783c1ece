; rule: ptr.fixed-offset
; type: socket_filter
; expect: reject
; reason: fp pointer offset 536870912 is not allowed
; errno: EINVAL
; twin: ptr/fixed-off-limit-ok.s
; what: a stack pointer moved by constants to fp+2^29
r2 = r10
r2 += 536870911
r2 += 1
r2 += -536870920
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
