; rule: ctx.socket_filter.write
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=8 size=4
; errno: EACCES
; twin: ctx-skb/write-cb-ok.s
; what: an immediate store into the read-only mark
*(u32 *)(r1 + 8) = 1
r0 = 0
exit
