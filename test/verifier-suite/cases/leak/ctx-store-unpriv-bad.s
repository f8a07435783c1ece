; rule: leak.ctx
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R2 leaks addr into ctx
; errno: EACCES
; twin: leak/ctx-store-priv-ok.s
; what: unprivileged: leaks addr into ctx
r2 = r10
*(u32 *)(r1 + 48) = r2
r0 = 0
exit
