; rule: helper.mem-arg
; type: kprobe
; maps: hash:4:16:1
; expect: accept
; twin: helper/mem-dst-bad.s
; what: the destination is a map value, 16 bytes
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = r0
r2 = 16
r3 = 0
call 113
out:
r0 = 0
exit
