; rule: helper.ctx-arg
; type: sched_cls
; expect: accept
; twin: helper/ctx-arg-bad.s
; what: bpf_skb_load_bytes gets the context
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
