; rule: ctx.xdp.read
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=24 size=4
; errno: EACCES
; twin: ctx-xdp/read-ok.s
; what: past the end of xdp_md
r0 = *(u32 *)(r1 + 24)
exit
