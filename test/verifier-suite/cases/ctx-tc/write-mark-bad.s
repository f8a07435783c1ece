; rule: ctx.sched_cls.write
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=0 size=4
; errno: EACCES
; twin: ctx-tc/write-mark-ok.s
; what: len is not
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
