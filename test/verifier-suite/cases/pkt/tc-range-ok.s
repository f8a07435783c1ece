; rule: pkt.range
; type: sched_cls
; expect: accept
; twin: pkt/tc-range-bad.s
; what: tc: the same rule with __sk_buff.data
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 13)
out:
r0 = 0
exit
