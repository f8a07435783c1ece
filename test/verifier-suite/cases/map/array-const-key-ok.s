; rule: map.array-lookup
; type: socket_filter
; maps: array:4:16:1
; expect: accept
; twin: map/array-const-key-bad.s
; what: array lookup with constant key 0 < max_entries cannot fail
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r0 = *(u64 *)(r0 + 0)
exit
