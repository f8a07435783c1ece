; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: invalid write to stack R1 off=-8 size=16
; errno: EINVAL
; twin: helper/mem-size-ok.s
; what: size 16 into an 8-byte buffer at the top of the frame
r1 = r10
r1 += -8
r3 = 0
r2 = 16
call 113
r0 = 0
exit
