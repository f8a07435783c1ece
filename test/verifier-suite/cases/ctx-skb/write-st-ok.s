; rule: ctx.socket_filter.write
; type: socket_filter
; expect: accept
; twin: ctx-skb/write-cb-bad.s
; what: BPF_ST (immediate) stores into writable context fields are allowed
*(u32 *)(r1 + 48) = 1
r0 = 0
exit
