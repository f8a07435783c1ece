; rule: null.shared-id
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: null/copy-bad.s
; what: checking the copy checks the original
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r6 = r0
if r6 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
