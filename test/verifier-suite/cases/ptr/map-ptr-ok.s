; rule: ptr.map-ptr
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: ptr/map-ptr-bad.s
; what: a map pointer may be copied
r1 = map[idx:0] ll
r6 = r1
r0 = 0
exit
