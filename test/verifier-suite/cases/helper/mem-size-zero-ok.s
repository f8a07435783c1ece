; rule: helper.mem-size
; type: kprobe
; expect: accept
; twin: helper/mem-size-bad.s
; what: size 0 is allowed for ARG_CONST_SIZE_OR_ZERO
r1 = r10
r1 += -8
r3 = 0
r2 = 0
call 113
r0 = 0
exit
