; rule: helper.prog-type
; type: kprobe
; expect: reject
; reason: program of this type cannot use helper bpf_perf_prog_read_value#56
; errno: EINVAL
; twin: helper/avail-perf-read-value-ok.s
; what: not in kprobes
r2 = r10
r2 += -24
r3 = 24
call 56
r0 = 0
exit
