; rule: stack.var-offset
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R2 variable stack access prohibited for !root, var_off=(0x0; 0x8) off=-16
; errno: EACCES
; twin: stack/var-offset-write-ok.s
; what: unprivileged: variable stack offsets are refused
call 7
r1 = r0
r1 &= 8
r2 = r10
r2 += -16
r2 += r1
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
