; rule: ringbuf.use-after-release
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: R6 invalid mem access 'scalar'
; errno: EACCES
; twin: ringbuf/use-after-submit-ok.s
; what: submit, then write
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r6
r2 = 0
call 132
*(u64 *)(r6 + 0) = 1
out:
r0 = 0
exit
