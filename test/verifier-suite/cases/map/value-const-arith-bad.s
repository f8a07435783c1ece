; rule: map.value-bounds
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 min value is outside of the allowed memory range
; errno: EACCES
; twin: map/value-const-arith-ok.s
; what: pointer moved by 9, 8 bytes read
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 += 9
r1 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
