; rule: helper.clobber
; type: socket_filter
; expect: accept
; twin: helper/ret-clobber-bad.s
; what: r6 keeps the context across the call
r6 = r1
call 7
r0 = *(u32 *)(r6 + 0)
exit
