; rule: ringbuf.map-type
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: cannot pass map_type 1 into func bpf_ringbuf_reserve#131
; errno: EINVAL
; twin: ringbuf/map-type-ok.s
; what: a hash map
r1 = map[idx:0] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
