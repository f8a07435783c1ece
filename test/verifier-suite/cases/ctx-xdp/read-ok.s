; rule: ctx.xdp.read
; type: xdp
; expect: accept
; twin: ctx-xdp/read-bad.s
; what: data, data_end, data_meta, ingress_ifindex, rx_queue_index
r0 = *(u32 *)(r1 + 0)
r0 = *(u32 *)(r1 + 4)
r0 = *(u32 *)(r1 + 8)
r0 = *(u32 *)(r1 + 12)
r0 = *(u32 *)(r1 + 16)
exit
