; rule: stack.var-offset
; type: socket_filter
; expect: reject
; reason: invalid variable-offset read from stack R2 var_off=(0x0; 0x10) off=-16 size=8
; errno: EINVAL
; twin: stack/var-offset-read-ok.s
; what: r10-16 + {0,16} reaches r10
call 7
r1 = r0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r1 &= 16
r2 = r10
r2 += -16
r2 += r1
r0 = *(u64 *)(r2 + 0)
exit
