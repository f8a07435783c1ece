; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: invalid read from stack R1 off=-8 size=9
; errno: EINVAL
; twin: helper/printk-ok.s
; what: 9 bytes of an 8-byte buffer
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
r2 = 9
call 6
r0 = 0
exit
