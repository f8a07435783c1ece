; rule: helper.map-type
; type: kprobe
; maps: stack_trace:4:64:16
; expect: accept
; twin: helper/stackid-bad.s
; what: bpf_get_stackid with a stack trace map
r2 = map[idx:0] ll
r3 = 0
call 27
r0 = 0
exit
