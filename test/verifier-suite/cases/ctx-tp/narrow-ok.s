; rule: ctx.tracepoint.read
; type: tracepoint
; expect: accept
; twin: ctx-tp/read-bad.s
; what: a byte load
r0 = *(u8 *)(r1 + 9)
exit
