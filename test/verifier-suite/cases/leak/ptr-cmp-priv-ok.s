; rule: leak.ptr-compare
; type: socket_filter
; expect: accept
; twin: leak/ptr-cmp-unpriv-bad.s
; what: privileged: comparing two pointers
r0 = 0
r2 = r10
if r2 > r1 goto +1
r0 = 1
exit
