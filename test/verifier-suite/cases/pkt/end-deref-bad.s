; rule: pkt.end
; type: xdp
; expect: reject
; reason: R3 invalid mem access 'pkt_end'
; errno: EACCES
; twin: pkt/end-arith-ok.s
; what: data_end cannot be dereferenced
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r3 + 0)
out:
r0 = 0
exit
