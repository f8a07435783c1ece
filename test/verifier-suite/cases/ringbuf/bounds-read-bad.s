; rule: ringbuf.bounds
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R0 min value is outside of the allowed memory range
; errno: EACCES
; twin: ringbuf/bounds-ok.s
; what: a read past the reservation
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = *(u64 *)(r0 + 8)
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
