; rule: call.frame
; type: socket_filter
; expect: reject
; reason: frame pointer is read only
; errno: EACCES
; twin: call/r10-callee-ok.s
; what: and its r10 is read-only too
call f
exit
f:
r10 = 0
r0 = 0
exit
