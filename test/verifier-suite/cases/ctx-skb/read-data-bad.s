; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=76 size=4
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: socket filters may not read __sk_buff.data
r0 = *(u32 *)(r1 + 76)
exit
