; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: old state: R1=P0 R10=fp0
; errno: EINVAL
; twin: loop/bounded-ok.s
; what: the counter never moves: infinite (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
r1 = 0
loop:
r1 += 0
if r1 < 10 goto loop
r0 = 0
exit
