; rule: ringbuf.bounds
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/bounds-bad.s
; what: 4 bytes at 4 of 8 reserved
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u32 *)(r0 + 4) = 1
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
