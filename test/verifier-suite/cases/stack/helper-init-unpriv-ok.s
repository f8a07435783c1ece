; rule: stack.helper-init
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: accept
; twin: stack/helper-uninit-unpriv-bad.s
; what: unprivileged: an initialised key
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 = 0
exit
