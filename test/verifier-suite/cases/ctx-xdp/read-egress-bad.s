; rule: ctx.xdp.read
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=20 size=4
; errno: EACCES
; twin: ctx-xdp/read-ok.s
; what: egress_ifindex is only for devmap programs
r0 = *(u32 *)(r1 + 20)
exit
