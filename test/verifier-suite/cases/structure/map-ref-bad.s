; rule: structure.map-ref
; type: socket_filter
; expect: reject
; reason: fd_idx without fd_array is invalid
; errno: EPROTO
; twin: structure/map-ref-ok.s
; what: a map reference in a program that has no maps
r1 = map[idx:0] ll
r0 = 0
exit
