; rule: ctx.xdp.write
; type: xdp
; expect: accept
; twin: ctx-xdp/write-bad.s
; what: reading rx_queue_index
r2 = *(u32 *)(r1 + 16)
r0 = r2
exit
