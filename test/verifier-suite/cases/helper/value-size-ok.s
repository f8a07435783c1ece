; rule: helper.value-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: helper/value-size-bad.s
; what: a 16-byte value at r10-24
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -24
r4 = 0
r1 = map[idx:0] ll
call 2
r0 = 0
exit
