; rule: jmp.jgt
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: jmp/jgt-taken-bad.s
; what: taken branch of x > 15 is x >= 16: x - 16 is in [0,15]
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
if r1 > 15 goto use
goto out
use:
if r1 > 31 goto out
r1 -= 16
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
