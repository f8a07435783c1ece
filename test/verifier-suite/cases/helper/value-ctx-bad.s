; rule: helper.value-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R3 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
; errno: EACCES
; twin: helper/value-size-ok.s
; what: the context as a value
*(u32 *)(r10 - 4) = 0
r3 = r1
r2 = r10
r2 += -4
r4 = 0
r1 = map[idx:0] ll
call 2
r0 = 0
exit
