; rule: stack.uninit-read
; type: socket_filter
; priv: unprivileged
; expect: accept
; twin: stack/uninit-read-unpriv-bad.s
; what: unprivileged: written, then read
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
