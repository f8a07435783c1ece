; rule: call.cross-jump
; type: socket_filter
; expect: accept
; twin: call/cross-jump-bad.s
; what: jumps stay in their function
if r1 == 0 goto +1
r1 = 0
call f
exit
f:
r0 = 0
exit
