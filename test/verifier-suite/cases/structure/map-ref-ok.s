; rule: structure.map-ref
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: structure/map-ref-bad.s
; what: map index 0 of 1
r1 = map[idx:0] ll
r0 = 0
exit
