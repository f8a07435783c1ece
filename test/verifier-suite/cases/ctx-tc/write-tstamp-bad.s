; rule: ctx.sched_cls.write
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=152 size=4
; errno: EACCES
; twin: ctx-tc/write-tstamp-ok.s
; what: a 4-byte store to tstamp
r2 = 1
*(u32 *)(r1 + 152) = r2
r0 = 0
exit
