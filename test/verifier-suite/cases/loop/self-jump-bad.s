; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: old state: R0=0 R1=ctx() R10=fp0
; errno: EINVAL
; twin: loop/bounded-ok.s
; what: goto -1: a jump to itself (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
r0 = 0
goto -1
