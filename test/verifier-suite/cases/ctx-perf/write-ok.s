; rule: ctx.perf_event.write
; type: perf_event
; expect: accept
; twin: ctx-perf/write-bad.s
; what: reading sample_period
r0 = *(u64 *)(r1 + 168)
exit
