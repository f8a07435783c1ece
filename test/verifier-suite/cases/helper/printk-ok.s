; rule: helper.mem-size
; type: kprobe
; expect: accept
; twin: helper/printk-bad.s
; what: bpf_trace_printk of an 8-byte format
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
r2 = 8
call 6
r0 = 0
exit
