; rule: null.map-lookup
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 invalid mem access 'map_value_or_null'
; errno: EACCES
; twin: null/lookup-ok.s
; what: a 32-bit compare does not null-check a pointer
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if w0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
