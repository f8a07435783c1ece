; rule: leak.return
; type: socket_filter
; priv: unprivileged
; expect: accept
; twin: leak/return-ctx-unpriv-bad.s
; what: unprivileged: returning a scalar read through the pointer
r0 = r1
r0 = *(u32 *)(r0 + 0)
exit
