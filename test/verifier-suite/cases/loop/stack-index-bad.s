; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: invalid write to stack R2 off=0 size=1
; errno: EACCES
; twin: loop/stack-index-ok.s
; what: the 65th iteration writes at r10
r1 = 0
loop:
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
if r1 < 65 goto loop
r0 = 0
exit
