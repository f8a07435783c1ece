; rule: stack.spill-fill
; type: socket_filter
; expect: accept
; twin: stack/spill-ptr-bad.s
; what: a spilled ctx pointer filled back whole is still the ctx
*(u64 *)(r10 - 8) = r1
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
