; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: old state: R1=P0 R10=fp0
; errno: EINVAL
; twin: loop/jmp32-ok.s
; what: a 32-bit counter that never moves (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
w1 = 0
loop:
w1 += 0
if w1 < 10 goto loop
r0 = 0
exit
