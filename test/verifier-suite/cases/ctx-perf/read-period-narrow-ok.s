; rule: ctx.perf_event.read
; type: perf_event
; expect: accept
; twin: ctx-perf/read-regs-narrow-bad.s
; what: narrow loads of sample_period and addr
r0 = *(u32 *)(r1 + 168)
r0 = *(u8 *)(r1 + 176)
exit
