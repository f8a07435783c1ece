; rule: ptr.oob-intermediate
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: ptr/oob-intermediate-unpriv-bad.s
; what: privileged: value + 100, then a load at -92 (bytes 8..15)
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 += 100
r0 = *(u64 *)(r0 - 92)
out:
r0 = 0
exit
