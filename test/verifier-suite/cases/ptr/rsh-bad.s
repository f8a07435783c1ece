; rule: ptr.ops
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 pointer arithmetic with >>= operator prohibited
; errno: EACCES
; twin: ptr/add-const-ok.s
; what: pointer >>= 1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 >>= 1
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
