; rule: ctx.tracepoint.read
; type: tracepoint
; expect: reject
; reason: invalid bpf_context access off=0 size=8
; errno: EACCES
; twin: ctx-tp/read-ok.s
; what: the first 8 bytes
r0 = *(u64 *)(r1 + 0)
exit
