; rule: pkt.write
; type: xdp
; expect: accept
; twin: pkt/write-bad.s
; what: XDP may write the packet, within the checked byte
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto out
*(u8 *)(r2 + 0) = 1
out:
r0 = 0
exit
