; rule: leak.return
; type: socket_filter
; expect: accept
; twin: leak/return-fp-unpriv-bad.s
; what: privileged: returning a pointer is allowed
r0 = r10
exit
