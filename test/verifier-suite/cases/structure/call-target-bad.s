; rule: structure.call-target
; type: socket_filter
; expect: reject
; reason: call to invalid destination
; errno: EINVAL
; twin: structure/call-target-ok.s
; what: a bpf-to-bpf call past the end
call pc+3
exit
r0 = 0
exit
