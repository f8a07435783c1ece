; rule: helper.key-arg
; type: socket_filter
; maps: hash:4:16:1
; expect: accept
; twin: helper/delete-key-bad.s
; what: bpf_map_delete_elem key at r10-4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 3
r0 = 0
exit
