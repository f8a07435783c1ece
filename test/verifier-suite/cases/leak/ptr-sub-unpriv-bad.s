; rule: leak.ptr-sub
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R2 pointer -= pointer prohibited
; errno: EACCES
; twin: leak/ptr-sub-priv-ok.s
; what: unprivileged: pointer -= pointer prohibited
r2 = r10
r2 -= r1
r0 = 0
exit
