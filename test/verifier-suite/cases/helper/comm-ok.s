; rule: helper.mem-size
; type: kprobe
; expect: accept
; twin: helper/comm-bad.s
; what: bpf_get_current_comm into 16 bytes
r1 = r10
r1 += -16
r2 = 16
call 16
r0 = 0
exit
