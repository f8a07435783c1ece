; rule: atomic.map-value
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: misaligned value access off 0+0+4 size 8
; errno: EACCES
; twin: atomic/map-value-ok.s
; what: at offset 4: atomics must be aligned
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 4) += r1
out:
r0 = 0
exit
