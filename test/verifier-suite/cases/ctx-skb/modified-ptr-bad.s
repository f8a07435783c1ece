; rule: ctx.modified
; type: socket_filter
; expect: reject
; reason: dereference of modified ctx ptr R1 off=4 disallowed
; errno: EACCES
; twin: ctx-skb/modified-ptr-ok.s
; what: a moved ctx pointer may not be dereferenced
r1 += 4
r0 = *(u32 *)(r1 + 0)
exit
