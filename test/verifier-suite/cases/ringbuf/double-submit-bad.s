; rule: ringbuf.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R1 type=scalar expected=ringbuf_mem
; errno: EACCES
; twin: ringbuf/submit-ok.s
; what: submitted twice
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r6
r2 = 0
call 132
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
