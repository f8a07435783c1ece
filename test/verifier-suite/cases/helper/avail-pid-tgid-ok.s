; rule: helper.prog-type
; type: socket_filter
; expect: accept
; twin: helper/avail-func-ip-bad.s
; what: privileged socket filters may call bpf_get_current_pid_tgid (a base helper for CAP_PERFMON)
call 14
r0 = 0
exit
