; rule: ctx.tracepoint.read
; type: tracepoint
; expect: accept
; twin: ctx-tp/read-bad.s
; what: fields of the record after the common header, up to PERF_MAX_TRACE_SIZE (8192)
r0 = *(u64 *)(r1 + 8)
r0 = *(u32 *)(r1 + 12)
r0 = *(u64 *)(r1 + 8184)
exit
