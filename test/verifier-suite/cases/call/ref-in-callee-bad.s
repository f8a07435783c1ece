; rule: call.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: BPF_EXIT instruction in main prog would lead to reference leak
; errno: EINVAL
; twin: call/ref-in-callee-ok.s
; what: a subprogram that drops its reservation
call f
r0 = 0
exit
f:
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
r0 = 0
exit
