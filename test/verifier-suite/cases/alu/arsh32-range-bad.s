; rule: alu.shift-range
; type: socket_filter
; expect: reject
; reason: invalid shift 32
; errno: EINVAL
; twin: alu/arsh32-range-ok.s
w0 = 1
w0 s>>= 32
exit
