; rule: ctx.perf_event.read
; type: perf_event
; expect: reject
; reason: invalid bpf_context access off=184 size=8
; errno: EACCES
; twin: ctx-perf/read-ok.s
; what: past the end
r0 = *(u64 *)(r1 + 184)
exit
