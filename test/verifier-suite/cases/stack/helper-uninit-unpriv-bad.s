; rule: stack.helper-init
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: invalid read from stack R2 off=-4 size=4
; errno: EACCES
; twin: stack/helper-uninit-priv-ok.s
; what: unprivileged: the key must be initialised
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 = 0
exit
