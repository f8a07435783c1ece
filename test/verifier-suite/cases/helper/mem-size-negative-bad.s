; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: R2 min value is negative, either use unsigned or 'var &= const'
; errno: EACCES
; twin: helper/mem-size-ok.s
; what: size -1
r1 = r10
r1 += -8
r3 = 0
r2 = -1
call 113
r0 = 0
exit
