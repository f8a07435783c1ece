; rule: helper.map-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: helper/map-arg-bad.s
; what: a map as the first argument
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
out:
r0 = 0
exit
