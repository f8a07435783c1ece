; rule: ctx.xdp.read
; type: xdp
; expect: reject
; reason: invalid bpf_context access off=0 size=8
; errno: EACCES
; twin: ctx-xdp/read-ok.s
; what: an 8-byte load of data
r0 = *(u64 *)(r1 + 0)
exit
