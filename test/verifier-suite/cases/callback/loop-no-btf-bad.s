; rule: callback.bpf_loop
; type: socket_filter
; expect: reject
; reason: missing btf func_info
; errno: EINVAL
; twin: c/callback-loop-ok.c
; what: a valid bpf_loop callback, but the program has no BTF func_info, which Linux requires for callbacks
r1 = 4
r2 = func[cb] ll
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = 0
exit
