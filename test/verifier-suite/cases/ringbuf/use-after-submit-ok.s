; rule: ringbuf.use-after-release
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/use-after-submit-bad.s
; what: write, then submit
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
*(u64 *)(r6 + 0) = 1
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
