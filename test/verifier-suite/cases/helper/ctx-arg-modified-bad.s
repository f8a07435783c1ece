; rule: helper.ctx-arg
; type: sched_cls
; expect: reject
; reason: dereference of modified ctx ptr R1 off=8 disallowed
; errno: EACCES
; twin: helper/ctx-arg-ok.s
; what: a moved context pointer
r1 += 8
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
