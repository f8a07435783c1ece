; rule: leak.stack-var
; type: socket_filter
; expect: accept
; twin: leak/stack-var-unpriv-bad.s
; what: privileged: variable-offset stack read
call 7
r0 &= 8
r2 = r10
r2 += -16
r2 += r0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r2 + 0)
exit
