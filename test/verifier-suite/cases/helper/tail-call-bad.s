; rule: helper.tail-call
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: expected prog array map for tail call
; errno: EINVAL
; twin: helper/tail-call-ok.s
; what: with a hash map
r2 = map[idx:0] ll
r3 = 0
call 12
r0 = 0
exit
