; rule: map.value-bounds
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: map/value-spill-bad.s
; what: a spilled value pointer keeps its map
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
*(u64 *)(r10 - 16) = r0
r6 = *(u64 *)(r10 - 16)
r1 = *(u64 *)(r6 + 8)
out:
r0 = 0
exit
