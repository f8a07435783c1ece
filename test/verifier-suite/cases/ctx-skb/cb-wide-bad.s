; rule: ctx.socket_filter.cb
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=64 size=8
; errno: EACCES
; twin: ctx-skb/cb-wide-ok.s
; what: cb[4] is the last: an 8-byte load at 64 leaves cb
r0 = *(u64 *)(r1 + 64)
exit
