; rule: ctx.raw_tracepoint.read
; type: raw_tracepoint
; expect: accept
; twin: ctx-rawtp/read-bad.s
; what: a 4-byte load of args[1]
r0 = *(u32 *)(r1 + 8)
exit
