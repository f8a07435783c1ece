; rule: call.cross-jump
; type: socket_filter
; expect: reject
; reason: jump out of range from insn 0 to 3
; errno: EINVAL
; twin: call/cross-jump-ok.s
; what: a jump from main into a subprogram
if r1 == 0 goto f
call f
exit
f:
r0 = 0
exit
