; rule: helper.mem-size
; type: kprobe
; expect: reject
; reason: R2 invalid zero-sized read: u64=[0,0]
; errno: EACCES
; twin: helper/comm-ok.s
; what: size 0 for ARG_CONST_SIZE
r1 = r10
r1 += -16
r2 = 0
call 16
r0 = 0
exit
