; rule: pkt.range
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/range-ok.s
; what: no comparison with data_end at all
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
