; rule: ctx.sched_cls.write
; type: sched_cls
; expect: accept
; twin: ctx-tc/write-tstamp-bad.s
; what: tstamp is written as 8 bytes
r2 = 1
*(u64 *)(r1 + 152) = r2
r0 = 0
exit
