; rule: stack.var-offset
; type: socket_filter
; expect: reject
; reason: invalid variable-offset write to stack R2 var_off=(0x0; 0x10) off=-16 size=8
; errno: EINVAL
; twin: stack/var-offset-write-ok.s
; what: reaching r10
call 7
r1 = r0
r1 &= 16
r2 = r10
r2 += -16
r2 += r1
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
