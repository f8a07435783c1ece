; rule: ctx.raw_tracepoint.read
; type: raw_tracepoint
; expect: accept
; twin: ctx-rawtp/read-bad.s
; what: args[0] and args[11]
r0 = *(u64 *)(r1 + 0)
r0 = *(u64 *)(r1 + 88)
exit
