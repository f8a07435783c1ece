; rule: map.direct-value
; type: socket_filter
; maps: array:4:16:1
; expect: reject
; reason: invalid access to map value pointer, value_size=16 off=16
; errno: EINVAL
; twin: map/direct-value-ok.s
; what: value address +16 of a 16-byte value
r1 = map[idx:0][0]+16 ll
r0 = 0
exit
