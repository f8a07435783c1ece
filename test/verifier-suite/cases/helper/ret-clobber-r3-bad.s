; rule: helper.clobber
; type: socket_filter
; expect: reject
; reason: R3 !read_ok
; errno: EACCES
; twin: helper/ret-clobber-ok.s
; what: r3 after bpf_ktime_get_ns
r3 = 1
call 5
r0 = r3
exit
