; rule: alu64.movsx
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: value -2147483648 makes map_value pointer be out of bounds
; errno: EINVAL
; twin: alu64/movsx32-ok.s
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 0xffffffff
r1 = (s32)r1
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
