; rule: pkt.range
; type: xdp
; expect: accept
; twin: pkt/reverse-cmp-bad.s
; what: data_end < data + 14 is the same check, reversed
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r3 < r4 goto out
r0 = *(u8 *)(r2 + 13)
out:
r0 = 0
exit
