; rule: helper.mem-arg
; type: kprobe
; expect: reject
; reason: R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
; errno: EACCES
; twin: helper/mem-dst-ok.s
; what: a NULL destination
r1 = 0
r2 = 8
r3 = 0
call 113
r0 = 0
exit
