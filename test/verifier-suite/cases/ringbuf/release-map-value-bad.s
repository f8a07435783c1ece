; rule: ringbuf.release-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R1 type=map_value expected=ringbuf_mem
; errno: EACCES
; twin: ringbuf/release-arg-ok.s
; what: a map value submitted
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
