; rule: loop.bounded
; type: socket_filter
; expect: accept
; twin: loop/stack-index-bad.s
; what: bytes r10-64 .. r10-1
r1 = 0
loop:
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
if r1 < 64 goto loop
r0 = 0
exit
