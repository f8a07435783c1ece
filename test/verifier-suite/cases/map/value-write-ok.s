; rule: map.value-bounds
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: map/value-write-bad.s
; what: a store in the value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 8) = 1
out:
r0 = 0
exit
