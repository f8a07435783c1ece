; rule: stack.helper-init
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: invalid read from stack R2 off -4+2 size 4
; errno: EACCES
; twin: stack/helper-init-unpriv-ok.s
; what: unprivileged: 2 of the 4 key bytes written
*(u16 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 = 0
exit
