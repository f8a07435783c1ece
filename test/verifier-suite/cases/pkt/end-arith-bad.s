; rule: pkt.end
; type: xdp
; expect: reject
; reason: R3 pointer arithmetic on pkt_end prohibited
; errno: EACCES
; twin: pkt/end-arith-ok.s
; what: arithmetic on data_end is prohibited
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r3 += -14
if r2 > r3 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
