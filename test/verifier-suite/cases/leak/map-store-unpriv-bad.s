; rule: leak.map-value
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: R10 leaks addr into map
; errno: EACCES
; twin: leak/map-store-priv-ok.s
; what: unprivileged: leaks addr into map
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 0) = r10
out:
r0 = 0
exit
