; rule: null.arith-before-check
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: null/arith-bad.s
; what: arithmetic after the check
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 += 8
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
