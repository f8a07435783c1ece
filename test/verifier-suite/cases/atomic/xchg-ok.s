; rule: atomic.xchg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: atomic/xchg-bad.s
; what: xchg in a map value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 1
r1 = atomic64_xchg((u64 *)(r0 + 0), r1)
out:
r0 = 0
exit
