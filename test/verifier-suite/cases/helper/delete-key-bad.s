; rule: helper.key-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: invalid read from stack R2 off=-3 size=4
; errno: EINVAL
; twin: helper/delete-key-ok.s
; what: at r10-3
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -3
r1 = map[idx:0] ll
call 3
r0 = 0
exit
