; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=-4 size=4
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: a negative offset
r0 = *(u32 *)(r1 - 4)
exit
