; rule: ctx.tracepoint.read
; type: tracepoint
; expect: reject
; reason: invalid bpf_context access off=10 size=4
; errno: EACCES
; twin: ctx-tp/read-ok.s
; what: a misaligned load
r0 = *(u32 *)(r1 + 10)
exit
