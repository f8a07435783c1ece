; rule: callback.bpf_loop
; type: socket_filter
; expect: reject
; reason: R2 type=scalar expected=func
; errno: EACCES
; twin: c/callback-loop-ok.c
; what: a scalar as the callback of bpf_loop
r1 = 4
r2 = 0
r3 = 0
r4 = 0
call 181
r0 = 0
exit
