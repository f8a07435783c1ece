; rule: null.shared-id
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: null/copy-bad.s
; what: a spilled copy is checked too
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
*(u64 *)(r10 - 16) = r0
if r0 == 0 goto out
r6 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r6 + 0)
out:
r0 = 0
exit
