; rule: reg.call-clobber
; type: socket_filter
; expect: accept
; twin: reg/r1-clobbered-bad.s
; what: r9 keeps the context pointer across a call
r9 = r1
call 7
r0 = *(u32 *)(r9 + 0)
exit
