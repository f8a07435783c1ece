; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: R2 type=fp expected=scalar
; errno: EACCES
; twin: helper/mem-size-ok.s
; what: a pointer as the size
r1 = r10
r1 += -8
r3 = 0
r2 = r10
call 113
r0 = 0
exit
