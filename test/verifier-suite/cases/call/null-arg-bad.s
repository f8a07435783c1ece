; rule: call.ptr-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R1 invalid mem access 'map_value_or_null'
; errno: EACCES
; twin: call/map-value-arg-ok.s
; what: a maybe-NULL map value passed to a subprogram
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r1 = r0
call f
r0 = 0
exit
f:
r0 = *(u64 *)(r1 + 0)
exit
