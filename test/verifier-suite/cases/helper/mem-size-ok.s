; rule: helper.mem-size
; type: kprobe
; expect: accept
; twin: helper/mem-size-bad.s
; what: bpf_probe_read_kernel into 8 stack bytes, size 8
r1 = r10
r1 += -8
r3 = 0
r2 = 8
call 113
r0 = 0
exit
