; rule: map.readonly
; type: socket_filter
; maps: hash:4:16:1:0x80
; expect: reject
; reason: write into map forbidden, value_size=16 off=0 size=8
; errno: EACCES
; twin: map/rdonly-ok.s
; what: BPF_F_RDONLY_PROG: a store
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
out:
r0 = 0
exit
