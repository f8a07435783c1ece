; rule: pkt.range
; type: sched_cls
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/tc-range-ok.s
; what: tc: one past
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 14)
out:
r0 = 0
exit
