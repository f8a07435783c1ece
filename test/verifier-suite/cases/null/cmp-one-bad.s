; rule: null.map-lookup
; type: socket_filter
; maps: hash:4:16:1
; expect: reject
; reason: R0 invalid mem access 'map_value_or_null'
; errno: EACCES
; twin: null/lookup-ok.s
; what: a compare with 1 proves nothing
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 1 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
