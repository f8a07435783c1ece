; rule: ctx.socket_filter.read
; type: socket_filter
; expect: accept
; twin: ctx-skb/read-len-bad.s
; what: pkt_type, mark, protocol, ifindex, hash
r0 = *(u32 *)(r1 + 4)
r0 = *(u32 *)(r1 + 8)
r0 = *(u32 *)(r1 + 16)
r0 = *(u32 *)(r1 + 40)
r0 = *(u32 *)(r1 + 68)
exit
