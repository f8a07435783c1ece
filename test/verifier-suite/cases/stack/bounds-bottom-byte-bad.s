; rule: stack.bounds
; type: socket_filter
; expect: reject
; reason: invalid write to stack R10 off=-513 size=1
; errno: EACCES
; twin: stack/bounds-bottom-ok.s
; what: one byte below the frame
*(u8 *)(r10 - 513) = 0
r0 = 0
exit
