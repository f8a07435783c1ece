; rule: ringbuf.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/submit-bad.s
; what: the reference survives a spill and fill
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r10 - 8) = r0
r1 = *(u64 *)(r10 - 8)
r2 = 0
call 132
out:
r0 = 0
exit
