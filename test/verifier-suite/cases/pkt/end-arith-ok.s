; rule: pkt.end
; type: xdp
; expect: accept
; twin: pkt/end-arith-bad.s
; what: arithmetic on the data pointer
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
