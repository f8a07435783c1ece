; rule: ringbuf.null
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R1 type=ringbuf_mem_or_null expected=ringbuf_mem
; errno: EACCES
; twin: ringbuf/null-ok.s
; what: a maybe-NULL reservation submitted
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
r1 = r0
r2 = 0
call 132
r0 = 0
exit
