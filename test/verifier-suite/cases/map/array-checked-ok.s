; rule: map.array-lookup
; type: socket_filter
; maps: array:4:16:1
; expect: accept
; twin: map/array-unknown-key-bad.s
; what: an unknown key, checked
call 7
*(u32 *)(r10 - 4) = r0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
