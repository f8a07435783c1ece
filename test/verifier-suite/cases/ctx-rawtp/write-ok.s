; rule: ctx.raw_tracepoint.write
; type: raw_tracepoint
; expect: accept
; twin: ctx-rawtp/write-bad.s
; what: reading args[1]
r0 = *(u64 *)(r1 + 8)
exit
