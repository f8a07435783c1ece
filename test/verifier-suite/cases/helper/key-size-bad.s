; rule: helper.key-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: invalid read from stack R2 off=-2 size=4
; errno: EINVAL
; twin: helper/key-size-ok.s
; what: a 4-byte key at r10-2 crosses the frame
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -2
r1 = map[idx:0] ll
call 1
out:
r0 = 0
exit
