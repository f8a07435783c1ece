; rule: ctx.kprobe.write
; type: kprobe
; expect: reject
; reason: invalid bpf_context access off=80 size=8
; errno: EACCES
; twin: ctx-kprobe/write-ok.s
; what: pt_regs is read-only
r2 = 1
*(u64 *)(r1 + 80) = r2
r0 = 0
exit
