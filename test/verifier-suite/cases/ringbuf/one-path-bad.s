; rule: ringbuf.reference
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: BPF_EXIT instruction in main prog would lead to reference leak
; errno: EINVAL
; twin: ringbuf/submit-ok.s
; what: submitted on one path only
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
call 7
if r0 == 0 goto out
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
