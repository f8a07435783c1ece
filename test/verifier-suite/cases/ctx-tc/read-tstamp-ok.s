; rule: ctx.sched_cls.read
; type: sched_cls
; expect: accept
; twin: ctx-tc/read-data-bad.s
; what: tstamp, tc_classid, len
r0 = *(u64 *)(r1 + 152)
r0 = *(u32 *)(r1 + 72)
r0 = *(u32 *)(r1 + 0)
exit
