; rule: atomic.stack-init
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: invalid read from stack R10 off=-8 size=8
; errno: EACCES
; twin: atomic/uninit-priv-ok.s
; what: unprivileged: the slot must be initialised
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = 0
exit
