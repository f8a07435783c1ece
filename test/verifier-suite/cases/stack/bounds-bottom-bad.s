; rule: stack.bounds
; type: socket_filter
; expect: reject
; reason: invalid write to stack R10 off=-520 size=8
; errno: EACCES
; twin: stack/bounds-bottom-ok.s
; what: below the frame
*(u64 *)(r10 - 520) = 0
r0 = 0
exit
