; rule: helper.mem-size
; type: kprobe
; maps: perf_event_array:4:4:4
; expect: reject
; reason: invalid read from stack R4 off=-8 size=16
; errno: EINVAL
; twin: helper/mem-size-ok.s
; what: 16 bytes of an 8-byte buffer
*(u64 *)(r10 - 8) = 0
r2 = map[idx:0] ll
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 16
call 25
r0 = 0
exit
