; rule: helper.key-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
; errno: EACCES
; twin: helper/key-size-ok.s
; what: a NULL key
r2 = 0
r1 = map[idx:0] ll
call 1
out:
r0 = 0
exit
