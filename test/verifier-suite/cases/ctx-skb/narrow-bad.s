; rule: ctx.socket_filter.narrow
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=2 size=4
; errno: EACCES
; twin: ctx-skb/narrow-ok.s
; what: a misaligned 4-byte load
r0 = *(u32 *)(r1 + 2)
exit
