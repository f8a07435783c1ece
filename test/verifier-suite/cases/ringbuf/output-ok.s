; rule: ringbuf.output
; type: socket_filter
; maps: ringbuf:0:0:4096
; expect: accept
; twin: ringbuf/output-bad.s
; what: bpf_ringbuf_output of 8 stack bytes
*(u64 *)(r10 - 8) = 0
r1 = map[idx:0] ll
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call 130
r0 = 0
exit
