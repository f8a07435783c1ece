; rule: helper.map-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R1 type=fp expected=map_ptr
; errno: EACCES
; twin: helper/map-arg-ok.s
; what: a stack pointer
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = r10
call 1
if r0 == 0 goto out
out:
r0 = 0
exit
