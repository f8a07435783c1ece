; rule: helper.prog-type
; type: perf_event
; expect: accept
; twin: helper/avail-perf-read-value-bad.s
; what: bpf_perf_prog_read_value in perf_event programs
r2 = r10
r2 += -24
r3 = 24
call 56
r0 = 0
exit
