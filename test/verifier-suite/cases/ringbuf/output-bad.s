; rule: ringbuf.output
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: reject
; reason: invalid read from stack R2 off=-8 size=16
; errno: EINVAL
; twin: ringbuf/output-ok.s
; what: 16 bytes of an 8-byte buffer
*(u64 *)(r10 - 8) = 0
r1 = map[idx:0] ll
r2 = r10
r2 += -8
r3 = 16
r4 = 0
call 130
r0 = 0
exit
