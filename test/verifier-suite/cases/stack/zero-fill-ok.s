; rule: stack.spill-fill
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: stack/zero-fill-bad.s
; what: zero spilled and filled is zero
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 0
*(u64 *)(r10 - 16) = r1
r2 = *(u64 *)(r10 - 16)
r0 += r2
r0 = *(u8 *)(r0 + 15)
out:
r0 = 0
exit
