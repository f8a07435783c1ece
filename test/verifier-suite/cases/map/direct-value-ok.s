; rule: map.direct-value
; type: socket_filter
; maps: array:4:16:1
; expect: accept
; twin: map/direct-value-bad.s
; what: lddw of the value address of an array map, +8
r1 = map[idx:0][0]+8 ll
r0 = *(u64 *)(r1 + 0)
exit
