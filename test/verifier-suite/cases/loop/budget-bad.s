; rule: loop.too-many-insns
; type: socket_filter
; expect: reject
; reason: BPF program is too large. Processed 1000001 insn
; errno: E2BIG
; twin: loop/budget-ok.s
; what: 1,000,000 iterations: past the 1,000,000 instruction budget
r1 = 0
loop:
r1 += 1
if r1 < 1000000 goto loop
r0 = 0
exit
