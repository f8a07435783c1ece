; rule: helper.map-type
; type: socket_filter
; maps: queue:0:8:4
; expect: accept
; twin: helper/map-type-queue-bad.s
; what: bpf_map_push_elem on a queue
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -8
r3 = 0
r1 = map[idx:0] ll
call 87
r0 = 0
exit
