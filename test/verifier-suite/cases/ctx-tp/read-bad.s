; rule: ctx.tracepoint.read
; type: tracepoint
; expect: reject
; reason: invalid bpf_context access off=8192 size=8
; errno: EACCES
; twin: ctx-tp/read-ok.s
; what: past PERF_MAX_TRACE_SIZE (8192)
r0 = *(u64 *)(r1 + 8192)
exit
