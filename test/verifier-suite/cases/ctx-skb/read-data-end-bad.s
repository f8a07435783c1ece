; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=80 size=4
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: nor data_end
r0 = *(u32 *)(r1 + 80)
exit
