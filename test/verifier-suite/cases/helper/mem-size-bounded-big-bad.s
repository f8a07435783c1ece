; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: invalid write to stack R1 off=-8 size=15
; errno: EINVAL
; twin: helper/mem-size-ok.s
; what: a size in [0,15] for 8 bytes
call 7
r2 = r0
r2 &= 15
r1 = r10
r1 += -8
r3 = 0
call 113
r0 = 0
exit
