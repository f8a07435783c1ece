; rule: ctx.xdp.write
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=16 size=4
; errno: EACCES
; twin: ctx-xdp/write-ok.s
; what: xdp_md is read-only
r2 = 1
*(u32 *)(r1 + 16) = r2
r0 = 0
exit
