; rule: pkt.range
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/reverse-cmp-ok.s
; what: still only 14 bytes
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r3 < r4 goto out
r0 = *(u8 *)(r2 + 14)
out:
r0 = 0
exit
