; rule: leak.ptr-alu
; type: socket_filter
; maps: hash:4:16:1
; priv: unprivileged
; expect: reject
; reason: R0 pointer arithmetic prohibited
; errno: EACCES
; twin: leak/ptr-neg-priv-ok.s
; what: unprivileged: prohibited
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 = -r0
r0 = 0
out:
r0 = 0
exit
