; rule: leak.helper-arg
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: R4 leaks addr into helper function
; errno: EACCES
; twin: leak/helper-arg-priv-ok.s
; what: unprivileged: leaks addr into helper function
*(u32 *)(r10 - 4) = 0
*(u64 *)(r10 - 24) = 0
*(u64 *)(r10 - 16) = 0
r2 = r10
r2 += -4
r3 = r10
r3 += -24
r4 = r10
r1 = map[idx:0] ll
call 2
r0 = 0
exit
