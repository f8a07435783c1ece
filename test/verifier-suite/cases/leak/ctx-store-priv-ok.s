; rule: leak.ctx
; type: socket_filter
; expect: accept
; twin: leak/ctx-store-unpriv-bad.s
; what: privileged: a pointer stored into skb->cb
r2 = r10
*(u32 *)(r1 + 48) = r2
r0 = 0
exit
