; rule: map.value-bounds
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: map/value-misaligned-bad.s
; what: map values need no alignment (x86)
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 3)
out:
r0 = 0
exit
