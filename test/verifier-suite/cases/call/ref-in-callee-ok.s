; rule: call.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: call/ref-in-callee-bad.s
; what: a reservation made and submitted in a subprogram
call f
r0 = 0
exit
f:
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +3
r1 = r0
r2 = 0
call 132
r0 = 0
exit
