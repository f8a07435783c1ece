; rule: helper.key-arg
; type: xdp
; maps: hash:4:16:1
; expect: reject
; reason: R2 offset is outside of the packet
; errno: EACCES
; twin: helper/key-pkt-ok.s
; what: 3 bytes checked
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 3
if r4 > r3 goto out
r1 = map[idx:0] ll
call 1
out:
r0 = 0
exit
