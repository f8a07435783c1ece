; rule: helper.tail-call
; type: socket_filter
; maps: prog_array:4:4:1
; expect: accept
; twin: helper/tail-call-bad.s
; what: bpf_tail_call with a prog array
r2 = map[idx:0] ll
r3 = 0
call 12
r0 = 0
exit
