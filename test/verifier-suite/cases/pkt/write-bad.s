; rule: pkt.write
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/write-ok.s
; what: 2 bytes written, 1 checked
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto out
*(u16 *)(r2 + 0) = 1
out:
r0 = 0
exit
