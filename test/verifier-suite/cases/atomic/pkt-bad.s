; rule: atomic.pkt
; type: xdp
; expect: reject
; reason: BPF_ATOMIC stores into R2 pkt is not allowed
; errno: EACCES
; twin: atomic/pkt-ok.s
; what: an atomic add on the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r1 = 1
lock *(u64 *)(r2 + 0) += r1
out:
r0 = 0
exit
