; rule: ringbuf.null
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/null-bad.s
; what: checked before the write
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
