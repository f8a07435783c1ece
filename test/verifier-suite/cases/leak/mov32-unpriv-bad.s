; rule: leak.partial-copy
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R10 partial copy of pointer
; errno: EACCES
; twin: leak/mov32-priv-ok.s
; what: unprivileged: partial copy of pointer
w0 = w10
r0 = 0
exit
