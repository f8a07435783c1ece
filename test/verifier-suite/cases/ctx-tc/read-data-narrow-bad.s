; rule: ctx.sched_cls.read
; type: sched_cls
; expect: reject
; reason: invalid bpf_context access off=76 size=2
; errno: EACCES
; twin: ctx-tc/read-data-ok.s
; what: a 2-byte load of data
r0 = *(u16 *)(r1 + 76)
r0 = 0
exit
