; rule: null.helper-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R3 type=map_value_or_null expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
; errno: EACCES
; twin: null/helper-arg-ok.s
; what: a maybe-NULL pointer
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
r3 = r0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
r4 = 0
call 2
r0 = 0
exit
