; rule: ctx.sched_cls.write
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=16 size=4
; errno: EACCES
; twin: ctx-tc/write-mark-ok.s
; what: protocol is not writable
r2 = 1
*(u32 *)(r1 + 16) = r2
r0 = 0
exit
