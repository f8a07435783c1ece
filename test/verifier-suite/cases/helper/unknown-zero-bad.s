; rule: helper.unknown
; type: socket_filter
; expect: reject
; reason: program of this type cannot use helper bpf_unspec#0
; errno: EINVAL
; twin: helper/unknown-id-ok.s
; what: helper 0 (unspec)
call 0
r0 = 0
exit
