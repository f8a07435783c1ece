; rule: helper.mem-size
; type: kprobe
; expect: accept
; twin: helper/mem-size-bad.s
; what: a size in [0,7]
call 7
r2 = r0
r2 &= 7
r1 = r10
r1 += -8
r3 = 0
call 113
r0 = 0
exit
