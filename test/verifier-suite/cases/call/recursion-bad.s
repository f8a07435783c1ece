; rule: call.recursion
; type: socket_filter
; expect: reject
; reason: the call stack of 8 frames is too deep !
; errno: E2BIG
; twin: call/recursion-ok.s
; what: a call that calls itself (once, at run time)
r1 = 0
call f
exit
f:
if r1 != 0 goto done
r1 = 1
call f
done:
r0 = 0
exit
