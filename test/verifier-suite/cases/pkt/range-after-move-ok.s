; rule: pkt.range
; type: xdp
; expect: accept
; twin: pkt/range-after-move-bad.s
; what: data + 1 has 13 checked bytes left
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r2 += 1
r0 = *(u8 *)(r2 + 12)
out:
r0 = 0
exit
