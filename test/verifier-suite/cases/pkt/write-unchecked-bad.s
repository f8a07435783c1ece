; rule: pkt.write
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/write-ok.s
; what: an unchecked packet write
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
*(u8 *)(r2 + 0) = 1
out:
r0 = 0
exit
