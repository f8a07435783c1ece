; rule: pkt.meta
; type: xdp
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: pkt/meta-ok.s
; what: data_meta unchecked
r2 = *(u32 *)(r1 + 8)
r3 = *(u32 *)(r1 + 0)
r0 = *(u32 *)(r2 + 0)
out:
r0 = 0
exit
