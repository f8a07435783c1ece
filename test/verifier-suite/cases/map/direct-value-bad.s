; rule: map.direct-value
; type: socket_filter
; maps: array:4:16:1
; expect: reject
; reason: R1 min value is outside of the allowed memory range
; errno: EACCES
; twin: map/direct-value-ok.s
; what: +8 then 8 bytes at +8
r1 = map[idx:0][0]+8 ll
r0 = *(u64 *)(r1 + 8)
exit
