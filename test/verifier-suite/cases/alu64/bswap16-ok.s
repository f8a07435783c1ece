; rule: alu64.bswap
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: alu64/bswap16-bad.s
; what: bswap16 leaves 16 bits; >> 12 gives [0,15]
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 = bswap16 r1
r1 >>= 12
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
