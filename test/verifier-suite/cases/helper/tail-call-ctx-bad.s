; rule: helper.tail-call
; type: socket_filter
; maps: prog_array:4:4:1
; expect: reject
; reason: R1 type=fp expected=ctx
; errno: EACCES
; twin: helper/tail-call-ok.s
; what: a stack pointer as the context
r1 = r10
r2 = map[idx:0] ll
r3 = 0
call 12
r0 = 0
exit
