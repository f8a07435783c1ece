; rule: helper.mem-arg
; type: kprobe
; expect: reject
; reason: R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
; errno: EACCES
; twin: helper/mem-dst-ok.s
; what: the destination is the context
r3 = 0
r2 = 8
call 113
r0 = 0
exit
