; rule: ctx.perf_event.read
; type: perf_event
; expect: accept
; twin: ctx-perf/read-bad.s
; what: regs.r15, sample_period, addr
r0 = *(u64 *)(r1 + 0)
r0 = *(u64 *)(r1 + 168)
r0 = *(u64 *)(r1 + 176)
exit
