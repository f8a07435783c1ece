; rule: ctx.socket_filter.write
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=8 size=4
; errno: EACCES
; twin: ctx-skb/write-cb-ok.s
; what: mark is read-only for socket filters
r2 = 1
*(u32 *)(r1 + 8) = r2
r0 = 0
exit
