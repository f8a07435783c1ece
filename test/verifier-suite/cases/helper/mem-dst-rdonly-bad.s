; rule: helper.mem-arg
; type: kprobe
; maps: hash:4:16:1:0x80
; expect: reject
; reason: write into map forbidden, value_size=16 off=0 size=8
; errno: EACCES
; twin: helper/mem-dst-ok.s
; what: a BPF_F_RDONLY_PROG map value as the destination
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = r0
r2 = 8
r3 = 0
call 113
out:
r0 = 0
exit
