; rule: jmp32.jgt
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: jmp32/jgt-reg-bad.s
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
w2 = 15
if w1 > w2 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
