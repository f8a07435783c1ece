; rule: leak.return
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R0 leaks addr as return value
; errno: EACCES
; twin: leak/return-ctx-priv-ok.s
; what: unprivileged: leak
r0 = r1
exit
