; rule: helper.prog-type
; type: socket_filter
; expect: reject
; reason: program of this type cannot use helper bpf_get_func_ip#173
; errno: EINVAL
; twin: helper/avail-func-ip-ok.s
; what: socket filters may not
call 173
r0 = 0
exit
