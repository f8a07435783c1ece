; rule: call.depth
; type: socket_filter
; expect: reject
; reason: the call stack of 9 frames is too deep
; errno: E2BIG
; twin: call/depth-ok.s
; what: 9 frames
call f1
exit
f1:
call f2
exit
f2:
call f3
exit
f3:
call f4
exit
f4:
call f5
exit
f5:
call f6
exit
f6:
call f7
exit
f7:
call f8
exit
f8:
r0 = 0
exit
