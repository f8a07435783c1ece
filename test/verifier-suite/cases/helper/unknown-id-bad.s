; rule: helper.unknown
; type: socket_filter
; expect: reject
; reason: invalid func unknown#10000
; errno: EINVAL
; twin: helper/unknown-id-ok.s
; what: helper 10000 does not
call 10000
r0 = 0
exit
