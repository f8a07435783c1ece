; rule: alu32.arsh
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 unbounded memory access, make sure to bounds check any such access
; errno: EACCES
; twin: alu32/arsh-imm-ok.s
; what: u32 s>> 28 is [-8,7] as s32: zero-extended it is huge
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
w1 s>>= 28
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
