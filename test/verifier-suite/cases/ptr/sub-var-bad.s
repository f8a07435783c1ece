; rule: ptr.var-offset
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 unbounded memory access, make sure to bounds check any such access
; errno: EACCES
; twin: ptr/unbounded-ok.s
; what: (value + 8) - [0,7]: Linux loses the bounds of a pointer minus a variable
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 &= 7
r0 += 8
r0 -= r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
