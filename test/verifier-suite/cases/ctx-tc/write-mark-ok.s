; rule: ctx.sched_cls.write
; type: sched_cls
; expect: accept
; twin: ctx-tc/write-mark-bad.s
; what: mark, priority, tc_index, tc_classid are writable from tc
r2 = 1
*(u32 *)(r1 + 8) = r2
*(u32 *)(r1 + 32) = r2
*(u32 *)(r1 + 44) = r2
*(u32 *)(r1 + 72) = r2
r0 = 0
exit
