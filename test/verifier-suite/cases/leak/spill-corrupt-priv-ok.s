; rule: leak.spill-corrupt
; type: socket_filter
; expect: accept
; twin: leak/spill-corrupt-unpriv-bad.s
; what: privileged: overwriting part of a spilled pointer
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r0 = 0
exit
