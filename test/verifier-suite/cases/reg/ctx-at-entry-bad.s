; rule: reg.entry
; type: socket_filter
; expect: reject
; reason: R2 !read_ok
; errno: EACCES
; twin: reg/ctx-at-entry-ok.s
; what: r2 does not
r0 = *(u32 *)(r2 + 0)
exit
