; rule: jmp32.jle
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 max value is outside of the allowed memory range
; errno: EACCES
; twin: jmp32/jle-imm-ok.s
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
if w1 <= 16 goto use
goto out
use:
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
