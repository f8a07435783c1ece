; rule: helper.key-arg
; type: xdp
; maps: hash:4:16:1
; expect: accept
; twin: helper/key-pkt-bad.s
; what: a key in the packet, 4 bytes checked
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r1 = map[idx:0] ll
call 1
out:
r0 = 0
exit
