; rule: map.value-as-key
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: map/value-as-key-bad.s
; what: a 4-byte key at offset 12 of a 16-byte value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r2 = r0
r2 += 12
r1 = map[idx:0] ll
call 1
out:
r0 = 0
exit
