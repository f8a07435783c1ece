; rule: ctx.kprobe.read
; type: kprobe
; expect: reject
; reason: invalid bpf_context access off=164 size=8
; errno: EACCES
; twin: ctx-kprobe/read-ok.s
; what: an 8-byte load at 164 leaves pt_regs (and is misaligned)
r0 = *(u64 *)(r1 + 164)
exit
