; rule: ctx.xdp.read
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=2 size=4
; errno: EACCES
; twin: ctx-xdp/read-ok.s
; what: a misaligned load
r0 = *(u32 *)(r1 + 2)
exit
