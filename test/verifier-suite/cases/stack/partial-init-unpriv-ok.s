; rule: stack.partial-init
; type: socket_filter
; priv: unprivileged
; expect: accept
; twin: stack/partial-init-unpriv-bad.s
; what: both halves of the slot written
*(u32 *)(r10 - 8) = 0
*(u32 *)(r10 - 4) = 0
r0 = *(u64 *)(r10 - 8)
exit
