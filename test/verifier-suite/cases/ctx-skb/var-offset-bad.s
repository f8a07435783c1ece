; rule: ctx.modified
; type: socket_filter
; expect: reject
; reason: variable ctx access var_off=(0x0; 0x4) disallowed
; errno: EACCES
; twin: ctx-skb/modified-ptr-ok.s
; what: a variable offset into the context
r6 = r1
call 7
r0 &= 4
r6 += r0
r0 = *(u32 *)(r6 + 0)
exit
