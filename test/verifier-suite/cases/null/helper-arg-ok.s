; rule: null.helper-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: null/helper-arg-bad.s
; what: a checked value pointer as the value of bpf_map_update_elem
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r3 = r0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
r4 = 0
call 2
out:
r0 = 0
exit
