; rule: ctx.sched_cls.read
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=76 size=8
; errno: EACCES
; twin: ctx-tc/read-data-ok.s
; what: an 8-byte load of data
r0 = *(u64 *)(r1 + 76)
r0 = 0
exit
