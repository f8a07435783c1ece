; rule: ptr.stack
; type: socket_filter
; expect: reject
; reason: invalid write to stack R2 off=-520 size=8
; errno: EACCES
; twin: ptr/stack-oob-ok.s
; what: fp - 520
r2 = r10
r2 += -520
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
