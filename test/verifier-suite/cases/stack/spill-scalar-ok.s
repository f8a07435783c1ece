; rule: stack.spill-fill
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: stack/spill-scalar-bad.s
; what: a spilled bounded scalar keeps its bounds
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 15
*(u64 *)(r10 - 16) = r1
r2 = *(u64 *)(r10 - 16)
r0 += r2
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
