; rule: pkt.range
; type: xdp
; expect: accept
; twin: pkt/range-u32-bad.s
; what: 4 bytes at 10 end at 14
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 10)
out:
r0 = 0
exit
