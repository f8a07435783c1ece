; rule: leak.return
; type: socket_filter
; expect: accept
; twin: leak/return-ctx-unpriv-bad.s
; what: privileged: returning the ctx pointer
r0 = r1
exit
