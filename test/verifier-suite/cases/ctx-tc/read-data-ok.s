; rule: ctx.sched_cls.read
; type: sched_cls
; expect: accept
; twin: ctx-tc/read-data-bad.s
; what: data, data_end, data_meta as 4-byte loads
r0 = *(u32 *)(r1 + 76)
r0 = *(u32 *)(r1 + 80)
r0 = *(u32 *)(r1 + 140)
r0 = 0
exit
