; rule: alu.shift-range
; type: socket_filter
; expect: reject
; reason: invalid shift 64
; errno: EINVAL
; twin: alu/rsh-range-ok.s
r0 = 1
r0 >>= 64
exit
