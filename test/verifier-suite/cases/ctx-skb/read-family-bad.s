; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=88 size=4
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: nor family (sk fields)
r0 = *(u32 *)(r1 + 88)
exit
