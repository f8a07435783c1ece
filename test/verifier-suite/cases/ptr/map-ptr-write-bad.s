; rule: ptr.map-ptr
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: only read from bpf_htab is supported
; errno: EACCES
; twin: ptr/map-ptr-ok.s
; what: but not written through
r1 = map[idx:0] ll
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
