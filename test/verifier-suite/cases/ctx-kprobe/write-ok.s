; rule: ctx.kprobe.write
; type: kprobe
; expect: accept
; twin: ctx-kprobe/write-bad.s
; what: reading ax
r0 = *(u64 *)(r1 + 80)
exit
