; rule: stack.bounds
; type: socket_filter
; expect: accept
; twin: stack/bounds-top-bad.s
; what: the slot just below the frame pointer
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
