; rule: leak.ptr-sub
; type: socket_filter
; expect: accept
; twin: leak/ptr-sub-unpriv-bad.s
; what: privileged: pointer - pointer
r2 = r10
r2 -= r1
r0 = 0
exit
