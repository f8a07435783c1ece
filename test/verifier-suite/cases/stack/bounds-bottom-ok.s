; rule: stack.bounds
; type: socket_filter
; expect: accept
; twin: stack/bounds-bottom-bad.s
; what: the lowest slot of the 512-byte frame
*(u64 *)(r10 - 512) = 0
r0 = 0
exit
