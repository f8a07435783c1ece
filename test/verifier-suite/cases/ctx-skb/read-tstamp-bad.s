; rule: ctx.socket_filter.read
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=152 size=8
; errno: EACCES
; twin: ctx-skb/read-len-ok.s
; what: nor tstamp
r0 = *(u64 *)(r1 + 152)
exit
