; rule: helper.mem-arg
; type: kprobe
; expect: accept
; twin: helper/mem-dst-bad.s
; what: the destination on the stack
r6 = r1
r3 = 0
r1 = r10
r1 += -8
r2 = 8
call 113
r0 = 0
exit
