; rule: atomic.xchg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: misaligned value access off 0+0+12 size 8
; errno: EACCES
; twin: atomic/xchg-ok.s
; what: an 8-byte xchg at offset 12 of 16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 1
r1 = atomic64_xchg((u64 *)(r0 + 12), r1)
out:
r0 = 0
exit
