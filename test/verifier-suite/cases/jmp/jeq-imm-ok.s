; rule: jmp.jeq
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: jmp/jeq-imm-bad.s
; what: taken branch of x == 15: x is 15
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
if r1 == 15 goto use
goto out
use:
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
