; rule: helper.map-type
; type: kprobe
; maps: hash:4:16:1
; expect: reject
; reason: cannot pass map_type 1 into func bpf_get_stackid#27
; errno: EINVAL
; twin: helper/stackid-ok.s
; what: with a hash map
r2 = map[idx:0] ll
r3 = 0
call 27
r0 = 0
exit
