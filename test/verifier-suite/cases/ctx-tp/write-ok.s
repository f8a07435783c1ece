; rule: ctx.tracepoint.write
; type: tracepoint
; expect: accept
; twin: ctx-tp/write-bad.s
; what: a 2-byte read
r0 = *(u16 *)(r1 + 8)
exit
