; rule: reg.uninit
; type: socket_filter
; expect: reject
; reason: R3 !read_ok
; errno: EACCES
; twin: reg/uninit-src-ok.s
; what: a branch on uninitialised r3
r0 = 0
if r3 == 0 goto +0
exit
