; rule: alu64.sub
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 min value is negative, either use unsigned index or do a if (index >=0) check.
; errno: EACCES
; twin: alu64/sub-unknown-ok.s
; what: [8,15] - [0,9] can be -1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 7
r1 += 8
r2 = *(u64 *)(r0 + 8)
r2 &= 9
r1 -= r2
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
