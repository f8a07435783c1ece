; rule: map.direct-value
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: no direct value access support for this map type
; errno: EINVAL
; twin: map/direct-value-ok.s
; what: a direct value address of a hash map
r1 = map[idx:0][0]+0 ll
r0 = 0
exit
