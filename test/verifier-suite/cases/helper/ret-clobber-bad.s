; rule: helper.clobber
; type: socket_filter
; expect: reject
; reason: R1 !read_ok
; errno: EACCES
; twin: helper/ret-clobber-ok.s
; what: r1 does not
call 7
r0 = *(u32 *)(r1 + 0)
exit
