; rule: helper.map-type
; type: kprobe
; maps: perf_event_array:4:4:4
; expect: accept
; twin: helper/perf-output-bad.s
; what: bpf_perf_event_output to a perf event array
*(u64 *)(r10 - 8) = 0
r2 = map[idx:0] ll
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 8
call 25
r0 = 0
exit
