; rule: structure.call-target
; type: socket_filter
; expect: accept
; twin: structure/call-target-bad.s
; what: a bpf-to-bpf call to insn 2
call f
exit
f:
r0 = 0
exit
