; rule: ctx.socket_filter.read
; type: socket_filter
; expect: accept
; twin: ctx-skb/read-len-bad.s
; what: __sk_buff.len
r0 = *(u32 *)(r1 + 0)
exit
