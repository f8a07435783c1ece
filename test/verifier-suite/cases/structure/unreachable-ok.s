; rule: structure.unreachable
; type: socket_filter
; expect: accept
; twin: structure/unreachable-bad.s
; what: every instruction reachable
r0 = 0
if r1 == 0 goto +1
r0 = 1
exit
