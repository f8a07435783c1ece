; rule: helper.map-type
; type: socket_filter
; maps: prog_array:4:4:1
; expect: reject
; reason: cannot pass map_type 3 into func bpf_map_lookup_elem#1
; errno: EINVAL
; twin: helper/map-type-queue-ok.s
; what: bpf_map_lookup_elem on a prog array
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
out:
r0 = 0
exit
