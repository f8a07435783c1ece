; rule: pkt.range
; type: xdp
; expect: accept
; twin: pkt/ptr-diff-bad.s
; what: data_end - data is a scalar
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r5 = r3
r5 -= r2
r0 = r5
out:
r0 = 0
exit
