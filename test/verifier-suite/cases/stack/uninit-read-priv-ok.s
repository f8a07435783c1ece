; rule: stack.uninit-read
; type: socket_filter
; expect: accept
; twin: stack/uninit-read-unpriv-bad.s
; what: privileged: reading a never-written slot gives an unknown scalar
r0 = *(u64 *)(r10 - 8)
exit
