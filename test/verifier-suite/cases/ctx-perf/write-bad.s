; rule: ctx.perf_event.write
; type: perf_event
; expect: reject
; reason: invalid bpf_context access off=168 size=8
; errno: EACCES
; twin: ctx-perf/write-ok.s
; what: the context is read-only
r2 = 1
*(u64 *)(r1 + 168) = r2
r0 = 0
exit
