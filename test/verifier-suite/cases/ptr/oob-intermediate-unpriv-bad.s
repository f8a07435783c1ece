; rule: ptr.oob-intermediate
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: R0 pointer arithmetic of map value goes out of range, prohibited for !root
; errno: EACCES
; twin: ptr/oob-intermediate-ok.s
; what: unprivileged: the intermediate pointer may not leave the value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 += 100
r0 += -100
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
