; rule: leak.return
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R0 leaks addr as return value
; errno: EACCES
; twin: leak/return-fp-priv-ok.s
; what: unprivileged: R0 leaks addr
r0 = r10
exit
