; rule: pkt.write
; type: sched_cls
; expect: accept
; twin: pkt/tc-write-bad.s
; what: tc may write the packet directly
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 2
if r4 > r3 goto out
*(u16 *)(r2 + 0) = 1
out:
r0 = 0
exit
