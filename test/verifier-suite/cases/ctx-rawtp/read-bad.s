; rule: ctx.raw_tracepoint.read
; type: raw_tracepoint
; expect: reject
; reason: invalid bpf_context access off=96 size=8
; errno: EACCES
; twin: ctx-rawtp/read-ok.s
; what: args[12]: there are at most 12
r0 = *(u64 *)(r1 + 96)
exit
