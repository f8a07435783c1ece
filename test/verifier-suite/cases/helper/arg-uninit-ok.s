; rule: helper.arg-init
; type: xdp
; expect: accept
; twin: helper/arg-uninit-bad.s
; what: bpf_xdp_adjust_head with its delta
r2 = 0
call 44
r0 = 0
exit
