; rule: ctx.socket_filter.narrow
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=0 size=8
; errno: EACCES
; twin: ctx-skb/narrow-ok.s
; what: an 8-byte load of the 4-byte len
r0 = *(u64 *)(r1 + 0)
exit
