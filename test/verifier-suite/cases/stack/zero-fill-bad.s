; rule: stack.spill-fill
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 min value is outside of the allowed memory range
; errno: EACCES
; twin: stack/zero-fill-ok.s
; what: offset 16 of a 16-byte value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = 0
*(u64 *)(r10 - 16) = r1
r2 = *(u64 *)(r10 - 16)
r0 += r2
r0 = *(u8 *)(r0 + 16)
out:
r0 = 0
exit
