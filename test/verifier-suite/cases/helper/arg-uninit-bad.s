; rule: helper.arg-init
; type: xdp
; expect: reject
; reason: R2 !read_ok
; errno: EACCES
; twin: helper/arg-uninit-ok.s
; what: r2 (delta) never written
call 44
r0 = 0
exit
