; rule: helper.unknown
; type: socket_filter
; expect: accept
; twin: helper/unknown-id-bad.s
; what: helper 7 exists
call 7
r0 = 0
exit
