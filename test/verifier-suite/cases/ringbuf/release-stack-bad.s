; rule: ringbuf.release-arg
; type: socket_filter
; expect: reject
; reason: R1 type=fp expected=ringbuf_mem
; errno: EACCES
; twin: ringbuf/release-arg-ok.s
; what: a stack pointer submitted
r1 = r10
r1 += -8
r2 = 0
call 132
r0 = 0
exit
