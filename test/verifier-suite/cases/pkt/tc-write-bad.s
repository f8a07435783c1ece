; rule: pkt.write
; type: sched_cls
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/tc-write-ok.s
; what: 4 bytes written, 2 checked
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 2
if r4 > r3 goto out
*(u32 *)(r2 + 0) = 1
out:
r0 = 0
exit
