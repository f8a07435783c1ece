; rule: null.arith-before-check
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 pointer arithmetic on map_value_or_null prohibited, null-check it first
; errno: EACCES
; twin: null/arith-ok.s
; what: arithmetic on a maybe-NULL pointer
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 += 8
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
