; rule: ctx.raw_tracepoint.write
; type: raw_tracepoint
; expect: reject
; reason: invalid bpf_context access off=8 size=8
; errno: EACCES
; twin: ctx-rawtp/write-ok.s
; what: args are read-only
r2 = 1
*(u64 *)(r1 + 8) = r2
r0 = 0
exit
