; rule: leak.map-value
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: accept
; twin: leak/map-store-unpriv-bad.s
; what: unprivileged: a scalar stored into a map value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 1
*(u64 *)(r0 + 0) = r1
out:
r0 = 0
exit
