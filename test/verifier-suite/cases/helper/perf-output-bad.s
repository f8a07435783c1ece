; rule: helper.map-type
; type: kprobe
; maps: hash:4:16:1
; expect: reject
; reason: cannot pass map_type 1 into func bpf_perf_event_output#25
; errno: EINVAL
; twin: helper/perf-output-ok.s
; what: to a hash map
*(u64 *)(r10 - 8) = 0
r2 = map[idx:0] ll
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 8
call 25
r0 = 0
exit
