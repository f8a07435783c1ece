; rule: loop.may-goto
; type: socket_filter
; expect: reject
; reason: old state: R0=P0 R1=1 R10=fp0
; errno: EINVAL
; twin: loop/may-goto-ok.s
; what: the same loop without may_goto (Linux: "infinite loop detected at insn N", then the states; the oracle reports the last line)
r0 = 0
loop:
r1 = 1
if r0 == 0 goto loop
exit
