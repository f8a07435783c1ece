; rule: helper.prog-type
; type: xdp
; expect: reject
; reason: program of this type cannot use helper bpf_skb_load_bytes#26
; errno: EINVAL
; twin: helper/avail-skb-load-bytes-ok.s
; what: not in XDP
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
