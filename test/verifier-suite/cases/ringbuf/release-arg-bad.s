; rule: ringbuf.release-arg
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R1 must have zero offset when passed to release func or trusted arg to kfunc
; errno: EINVAL
; twin: ringbuf/release-arg-ok.s
; what: a moved pointer
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r0 += 4
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
