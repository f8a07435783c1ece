; rule: helper.map-type
; type: socket_filter
; maps: hash:4:8:1
; expect: reject
; reason: cannot pass map_type 1 into func bpf_map_push_elem#87
; errno: EINVAL
; twin: helper/map-type-queue-ok.s
; what: on a hash map
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -8
r3 = 0
r1 = map[idx:0] ll
call 87
r0 = 0
exit
