; rule: map.writeonly
; type: socket_filter
; maps: hash:4:16:1:0x100
; expect: reject
; reason: read from map forbidden, value_size=16 off=0 size=8
; errno: EACCES
; twin: map/wronly-ok.s
; what: BPF_F_WRONLY_PROG: a load
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
