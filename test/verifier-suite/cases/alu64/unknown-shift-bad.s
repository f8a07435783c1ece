; rule: alu64.lsh
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: math between map_value pointer and register with unbounded min value is not allowed
; errno: EINVAL
; twin: alu64/unknown-shift-ok.s
; what: 1 << [0,15] reaches 32768
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r2 = *(u64 *)(r0 + 8)
r2 &= 15
r1 &= 1
r1 <<= r2
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
