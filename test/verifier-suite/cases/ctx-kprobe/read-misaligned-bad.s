; rule: ctx.kprobe.read
; type: kprobe
; expect: reject
; reason: invalid bpf_context access off=4 size=8
; errno: EACCES
; twin: ctx-kprobe/read-ok.s
; what: a misaligned 8-byte load
r0 = *(u64 *)(r1 + 4)
exit
