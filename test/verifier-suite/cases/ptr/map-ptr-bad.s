; rule: ptr.map-ptr
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R1 pointer arithmetic on map_ptr prohibited
; errno: EACCES
; twin: ptr/map-ptr-ok.s
; what: not moved
r1 = map[idx:0] ll
r1 += 8
r0 = 0
exit
