; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=192 size=4
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: offset 192 is past struct __sk_buff
r0 = *(u32 *)(r1 + 192)
exit
