; rule: call.ctx
; type: socket_filter
; expect: reject
; reason: invalid bpf_context access off=192 size=4
; errno: EACCES
; twin: call/ctx-ok.s
; what: and is held to the same context rules
call f
exit
f:
r0 = *(u32 *)(r1 + 192)
exit
