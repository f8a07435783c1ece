; rule: leak.spill-corrupt
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: attempt to corrupt spilled pointer on stack
; errno: EACCES
; twin: leak/spill-corrupt-priv-ok.s
; what: unprivileged: corrupting a spilled pointer
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r0 = 0
exit
