; rule: ringbuf.size
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R2 is not a known constant'
; errno: EACCES
; twin: ringbuf/size-ok.s
; what: a bounded but not constant size
call 7
r2 = r0
r2 &= 15
r1 = map[idx:0] ll
r3 = 0
call 131
if r0 == 0 goto out
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
