; rule: pkt.range
; type: xdp
; expect: reject
; reason: math between pkt pointer and register with unbounded min value is not allowed
; errno: EINVAL
; twin: pkt/ptr-diff-ok.s
; what: adding it back gives no checked range
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r5 = r3
r5 -= r2
r2 += r5
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
