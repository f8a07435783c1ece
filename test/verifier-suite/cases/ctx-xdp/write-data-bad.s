; rule: ctx.xdp.write
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=0 size=4
; errno: EACCES
; twin: ctx-xdp/write-ok.s
; what: data is read-only
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
