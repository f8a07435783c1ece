; rule: stack.spill-fill
; type: socket_filter
; expect: accept
; twin: stack/spill-ptr-bad.s
; what: a spill over a spill
r6 = r1
*(u64 *)(r10 - 8) = r1
*(u64 *)(r10 - 8) = r6
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
