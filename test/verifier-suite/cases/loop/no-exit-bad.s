; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: old state: R0=0 R1=0 R10=fp0
; errno: EINVAL
; twin: loop/bounded-ok.s
; what: a loop with no way out (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
r0 = 0
loop:
r1 = 0
goto loop
