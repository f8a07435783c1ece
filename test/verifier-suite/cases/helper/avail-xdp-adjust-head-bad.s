; rule: helper.prog-type
; type: sched_cls
; expect: reject
; reason: program of this type cannot use helper bpf_xdp_adjust_head#44
; errno: EINVAL
; twin: helper/avail-xdp-adjust-head-ok.s
; what: not in tc
r2 = 0
call 44
r0 = 0
exit
