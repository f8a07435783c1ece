; rule: pkt.range
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/range-after-move-ok.s
; what: not 14
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r2 += 1
r0 = *(u8 *)(r2 + 13)
out:
r0 = 0
exit
