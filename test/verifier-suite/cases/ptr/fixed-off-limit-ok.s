; rule: ptr.fixed-offset
; type: socket_filter
; expect: accept
; twin: ptr/fixed-off-limit-bad.s
; what: a stack pointer moved to fp+(2^29-1) and back by constants
r2 = r10
r2 += 536870911
r2 += -536870911
r2 += -8
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
