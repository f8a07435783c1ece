; rule: helper.prog-type
; type: kprobe
; expect: accept
; twin: helper/avail-func-ip-bad.s
; what: kprobe programs may call bpf_get_func_ip
call 173
r0 = 0
exit
