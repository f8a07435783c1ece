; rule: ctx.perf_event.read
; type: perf_event
; expect: reject
; reason: invalid bpf_context access off=0 size=4
; errno: EACCES
; twin: ctx-perf/read-ok.s
; what: pt_regs fields must be read whole
r0 = *(u32 *)(r1 + 0)
exit
