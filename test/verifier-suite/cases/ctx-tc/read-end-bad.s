; rule: ctx.sched_cls.read
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=192 size=4
; errno: EACCES
; twin: ctx-tc/read-data-ok.s
; what: past the end of __sk_buff
r0 = *(u32 *)(r1 + 192)
exit
