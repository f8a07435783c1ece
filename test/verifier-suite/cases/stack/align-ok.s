; rule: stack.align
; type: socket_filter
; expect: accept
; twin: stack/align-bad.s
; what: naturally aligned stores
*(u32 *)(r10 - 4) = 0
*(u16 *)(r10 - 6) = 0
*(u8 *)(r10 - 7) = 0
r0 = 0
exit
