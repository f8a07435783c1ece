; rule: null.map-lookup
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: null/store-bad.s
; what: store after the check
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
out:
r0 = 0
exit
