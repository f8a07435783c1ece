; rule: leak.partial-copy
; type: socket_filter
; expect: accept
; twin: leak/mov32-unpriv-bad.s
; what: privileged: a 32-bit copy of a pointer is a scalar
w0 = w10
r0 = 0
exit
