; rule: helper.ctx-arg
; type: sched_cls
; expect: reject
; reason: R1 type=fp expected=ctx
; errno: EACCES
; twin: helper/ctx-arg-ok.s
; what: gets a stack pointer
r1 = r10
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
