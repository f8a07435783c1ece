; rule: stack.partial-init
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: invalid read from stack off -8+4 size 8
; errno: EACCES
; twin: stack/partial-init-unpriv-ok.s
; what: only the low half written, 8 bytes read
*(u32 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
