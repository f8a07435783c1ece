; rule: ctx.socket_filter.write
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=0 size=4
; errno: EACCES
; twin: ctx-skb/write-cb-ok.s
; what: len is read-only
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
