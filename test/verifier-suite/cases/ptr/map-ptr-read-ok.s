; rule: ptr.map-ptr
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: ptr/map-ptr-bad.s
; what: a map pointer may be read through (the fields of struct bpf_map, typed by vmlinux BTF)
r1 = map[idx:0] ll
r0 = *(u64 *)(r1 + 0)
exit
