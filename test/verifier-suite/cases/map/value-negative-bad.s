; rule: map.value-bounds
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 min value is outside of the allowed memory range
; errno: EACCES
; twin: map/value-read-ok.s
; what: offset -1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u8 *)(r0 - 1)
out:
r0 = 0
exit
