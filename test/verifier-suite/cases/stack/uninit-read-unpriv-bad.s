; rule: stack.uninit-read
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: invalid read from stack R10 off=-8 size=8
; errno: EACCES
; twin: stack/uninit-read-priv-ok.s
; what: unprivileged: the slot must be written first
r0 = *(u64 *)(r10 - 8)
exit
