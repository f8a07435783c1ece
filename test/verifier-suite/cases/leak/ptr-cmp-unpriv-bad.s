; rule: leak.ptr-compare
; type: socket_filter
; priv: unprivileged
; expect: reject
; reason: R1 pointer comparison prohibited
; errno: EACCES
; twin: leak/ptr-cmp-priv-ok.s
; what: unprivileged: pointer comparison prohibited
r0 = 0
r2 = r10
if r2 > r1 goto +1
r0 = 1
exit
