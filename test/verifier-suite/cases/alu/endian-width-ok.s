; rule: alu.endian
; type: socket_filter
; expect: accept
; twin: alu/endian-width-bad.s
; what: be64
r0 = 1
r0 = be64 r0
exit
