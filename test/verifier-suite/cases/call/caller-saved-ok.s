; rule: call.clobber
; type: socket_filter
; expect: accept
; twin: call/caller-saved-bad.s
; what: r6 survives a bpf-to-bpf call
r6 = 5
call f
r0 = r6
exit
f:
r0 = 0
exit
