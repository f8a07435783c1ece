; rule: alu64.sdiv
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: math between map_value pointer and register with unbounded min value is not allowed
; errno: EINVAL
; twin: alu64/sdiv-imm-ok.s
; what: [0,31] s/ 2: unknown to Linux
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 31
r1 s/= 2
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
