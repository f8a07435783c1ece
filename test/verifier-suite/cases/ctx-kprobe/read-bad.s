; rule: ctx.kprobe.read
; type: kprobe
; expect: reject
; reason: invalid bpf_context access off=168 size=8
; errno: EACCES
; twin: ctx-kprobe/read-ok.s
; what: past the end of pt_regs
r0 = *(u64 *)(r1 + 168)
exit
