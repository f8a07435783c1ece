; rule: call.clobber
; type: socket_filter
; expect: reject
; reason: R1 !read_ok
; errno: EACCES
; twin: call/caller-saved-ok.s
; what: r1 does not
r1 = 5
call f
r0 = r1
exit
f:
r0 = 0
exit
