; rule: ctx.kprobe.read
; type: kprobe
; expect: accept
; twin: ctx-kprobe/read-bad.s
; what: r15, di, ss of pt_regs
r0 = *(u64 *)(r1 + 0)
r0 = *(u64 *)(r1 + 112)
r0 = *(u64 *)(r1 + 160)
exit
