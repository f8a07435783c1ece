; rule: alu64.mul
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 max value is outside of the allowed memory range
; errno: EACCES
; twin: alu64/mul-unknown-ok.s
; what: [0,3] * [0,7] = [0,21]
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 3
r2 = *(u64 *)(r0 + 8)
r2 &= 7
r1 *= r2
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
