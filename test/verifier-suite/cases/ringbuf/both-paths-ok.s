; rule: ringbuf.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/one-path-bad.s
; what: submitted on one path, discarded on the other
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
call 7
if r0 == 0 goto drop
r1 = r6
r2 = 0
call 132
goto out
drop:
r1 = r6
r2 = 0
call 133
out:
r0 = 0
exit
