; rule: ctx.xdp.read
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=12 size=1
; errno: EACCES
; twin: ctx-xdp/read-ok.s
; what: a 1-byte load of ingress_ifindex
r0 = *(u8 *)(r1 + 12)
exit
