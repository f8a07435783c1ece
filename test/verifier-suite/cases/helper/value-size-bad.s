; rule: helper.value-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: invalid read from stack R3 off=-8 size=16
; errno: EINVAL
; twin: helper/value-size-ok.s
; what: at r10-8: 8 bytes short
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -8
r4 = 0
r1 = map[idx:0] ll
call 2
r0 = 0
exit
