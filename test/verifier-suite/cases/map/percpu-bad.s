; rule: map.value-bounds
; type: socket_filter
; maps: percpu_array:4:16:4
; expect: reject
; reason: R0 min value is outside of the allowed memory range
; errno: EACCES
; twin: map/percpu-ok.s
; what: past the end
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 16)
out:
r0 = 0
exit
