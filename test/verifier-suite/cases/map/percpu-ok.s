; rule: map.value-bounds
; type: socket_filter
; maps: percpu_array:4:16:4
; expect: accept
; twin: map/percpu-bad.s
; what: percpu array value, in bounds
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 8)
out:
r0 = 0
exit
