; rule: atomic.map-value
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: atomic/map-value-bad.s
; what: an atomic add at offset 8 of a map value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 8) += r1
out:
r0 = 0
exit
