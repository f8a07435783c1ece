; rule: atomic.pkt
; type: xdp
; expect: accept
; twin: atomic/pkt-bad.s
; what: a plain store into the checked packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r1 = 1
*(u64 *)(r2 + 0) = r1
out:
r0 = 0
exit
