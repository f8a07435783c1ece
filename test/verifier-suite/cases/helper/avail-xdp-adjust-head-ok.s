; rule: helper.prog-type
; type: xdp
; expect: accept
; twin: helper/avail-xdp-adjust-head-bad.s
; what: bpf_xdp_adjust_head in XDP
r2 = 0
call 44
r0 = 0
exit
