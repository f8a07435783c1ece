; rule: leak.stack-var
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R2 variable stack access prohibited for !root, var_off=(0x0; 0x8) off=-16
; errno: EACCES
; twin: leak/stack-var-priv-ok.s
; what: unprivileged: variable stack access prohibited
call 7
r0 &= 8
r2 = r10
r2 += -16
r2 += r0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r2 + 0)
exit
