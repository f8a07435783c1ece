; rule: helper.mem-arg
; type: kprobe
; maps: hash:4:16:1
; expect: reject
; reason: R1 min value is outside of the allowed memory range
; errno: EACCES
; twin: helper/mem-dst-ok.s
; what: 17 bytes into a 16-byte value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = r0
r2 = 17
r3 = 0
call 113
out:
r0 = 0
exit
