; rule: ctx.kprobe.read
; type: kprobe
; expect: accept
; twin: ctx-kprobe/read-bad.s
; what: 4-byte loads, also the last 4 bytes
r0 = *(u32 *)(r1 + 112)
r0 = *(u32 *)(r1 + 164)
exit
