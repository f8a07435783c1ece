; rule: helper.prog-type
; type: sched_cls
; expect: accept
; twin: helper/avail-skb-load-bytes-bad.s
; what: bpf_skb_load_bytes in tc
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
