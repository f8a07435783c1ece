; rule: loop.bounded
; type: socket_filter
; expect: reject
; reason: old state: R1=P0 R2=P3 R10=fp0
; errno: EINVAL
; twin: loop/nested-ok.s
; what: the outer counter never moves (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
r1 = 0
outer:
r2 = 0
inner:
r2 += 1
if r2 < 10 goto inner
r1 += 0
if r1 < 10 goto outer
r0 = 0
exit
