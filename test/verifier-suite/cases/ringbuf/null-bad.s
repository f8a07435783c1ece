; rule: ringbuf.null
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R0 invalid mem access 'ringbuf_mem_or_null'
; errno: EACCES
; twin: ringbuf/null-ok.s
; what: the reservation may be NULL
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
*(u64 *)(r0 + 0) = 1
r1 = r0
r2 = 0
call 132
r0 = 0
exit
