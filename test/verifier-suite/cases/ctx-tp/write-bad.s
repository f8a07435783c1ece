; rule: ctx.tracepoint.write
; type: tracepoint
; expect: reject
; reason: invalid bpf_context access off=8 size=8
; errno: EACCES
; twin: ctx-tp/write-ok.s
; what: the record is read-only
r2 = 1
*(u64 *)(r1 + 8) = r2
r0 = 0
exit
