; rule: call.ptr-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: call/map-value-arg-bad.s
; what: a map value passed to a subprogram keeps its bounds
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = r0
call f
out:
r0 = 0
exit
f:
r0 = *(u64 *)(r1 + 8)
exit
