; rule: reg.entry
; type: socket_filter
; expect: accept
; twin: reg/ctx-at-entry-bad.s
; what: r1 holds the context at entry
r0 = *(u32 *)(r1 + 0)
exit
