#!/usr/bin/env python3
"""Ask the running Linux kernel, and libpcap, what they do with classic BPF programs.

Used by test/cbpf-*.test.ts as an oracle (each test is skipped when it cannot
run: not Linux, not root, no python3, no libpcap). Reads JSON from stdin,
writes JSON to stdout. A program is a list of [code, jt, jf, k].

  pcap-image     [prog, ...] -> [[line, ...], ...]   libpcap's bpf_image: the
                 lines `tcpdump -d` prints for each instruction
  pcap-filter    {"progs": [prog, ...], "packets": ["hex", ...]}
                 -> [[ret, ...] per prog]  libpcap's bpf_filter (the classic
                 interpreter tcpdump uses when the kernel does not filter)

  attach         [prog, ...] -> [errno, ...]   SO_ATTACH_FILTER on a UDP socket
                 (0: accepted): Linux's checks of socket filters
  seccomp-load   [prog, ...] -> [errno, ...]   seccomp(SECCOMP_SET_MODE_FILTER)
                 in a child process: Linux's checks of seccomp filters
  seccomp-run    [{"filters": [prog, ...], "nr": N, "args": ["u64", ...]}, ...]
                 -> [{"errno": E} | {"signal": S} | {"ret": R}, ...]
                 a child installs the filters (oldest first), makes system call
                 N with the arguments and reports what happened. The filters
                 must allow every other system call (the child needs them).
  ebpf-run       [{"insns": [{code, dst, src, off, imm}, ...], "data": "hex"}, ...]
                 -> [{"accepted": bool, "error": line, "retval": R}, ...]
                 load each as an eBPF SOCKET_FILTER with the kernel oracle
                 (../shared/tools/kernel-oracle.py) and test-run it on the data
  packet         {"ifname": "lo", "frame": "hex", "progs": [prog, ...]}
                 -> [len | null, ...]  attach each filter to an AF_PACKET socket
                 on the interface, send the frame, and report how many bytes
                 of it the socket received (null: none, the filter dropped it).
                 Needs CAP_NET_RAW.
"""

import ctypes
import json
import os
import resource
import signal
import socket
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

SOL_SOCKET = 1
SO_ATTACH_FILTER = 26
PR_SET_NO_NEW_PRIVS = 38
NR_SECCOMP = {"x86_64": 317, "aarch64": 277}.get(os.uname().machine, 317)
SECCOMP_SET_MODE_FILTER = 1
ETH_P_ALL = 3


def fprog(prog):
    """struct sock_fprog and the buffer it points at (keep both alive)."""
    raw = b"".join(struct.pack("<HBBI", c, jt, jf, k & 0xFFFFFFFF) for c, jt, jf, k in prog)
    buf = ctypes.create_string_buffer(raw, max(len(raw), 1))
    hdr = struct.pack("<HxxxxxxQ", len(prog), ctypes.addressof(buf))
    return hdr, buf


def attach(progs):
    out = []
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in progs:
        hdr, _buf = fprog(p)
        try:
            s.setsockopt(SOL_SOCKET, SO_ATTACH_FILTER, hdr)
            out.append(0)
        except OSError as e:
            out.append(e.errno)
    s.close()
    return out


def install(prog):
    """seccomp(SECCOMP_SET_MODE_FILTER, 0, prog): 0 or errno."""
    hdr, buf = fprog(prog)
    h = ctypes.create_string_buffer(hdr, len(hdr))
    r = libc.syscall(ctypes.c_long(NR_SECCOMP), ctypes.c_long(SECCOMP_SET_MODE_FILTER), ctypes.c_long(0), ctypes.c_void_p(ctypes.addressof(h)))
    return 0 if r == 0 else ctypes.get_errno()


def child(work, timeout=5.0):
    """Run work() in a child; return ("exit", code) or ("signal", n) (9: killed after `timeout`)."""
    pid = os.fork()
    if pid == 0:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            code = work()
        except BaseException:
            code = 250
        os._exit(code)
    # a child that hangs (a filter failing every call it retries) is killed after `timeout`
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status = os.waitpid(pid, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    if os.WIFSIGNALED(status):
        return ("signal", os.WTERMSIG(status))
    return ("exit", os.WEXITSTATUS(status))


def seccomp_load(progs):
    """A child tries the filters in turn. A rejected filter installs nothing,
    so the child reports the errno and goes on; an accepted one is installed
    and may keep the child from doing anything more, so the child stops there
    without a word and the next child starts after it."""
    out = []
    while len(out) < len(progs):
        start = len(out)
        r, w = os.pipe()

        def work():
            os.close(r)
            for p in progs[start:]:
                e = install(p)
                if e == 0:
                    return 0
                os.write(w, b"%d\n" % e)
            os.write(w, b"done\n")
            return 0

        kind, v = child(work)
        os.close(w)
        lines = read_all(r).split()
        if kind == "exit" and v == 250:
            raise RuntimeError("the seccomp child failed")
        out += [int(x) for x in lines if x != b"done"]
        if b"done" not in lines:
            out.append(0)
    return out


def read_all(fd):
    data = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return data


def seccomp_run(cases):
    out = []
    for case in cases:
        r, w = os.pipe()

        def work():
            os.close(r)
            for p in case["filters"]:
                e = install(p)
                if e:
                    return 100 + e
            args = [ctypes.c_ulong(int(a)) for a in case.get("args", [])]
            args += [ctypes.c_ulong(0)] * (6 - len(args))
            res = libc.syscall(ctypes.c_long(case["nr"]), *args)
            err = ctypes.get_errno()
            os.write(w, json.dumps({"ret": res, "errno": err}).encode())
            return 0

        kind, v = child(work)
        os.close(w)
        data = read_all(r)
        if kind == "signal":
            out.append({"signal": v})
        elif kind == "exit" and v == 0 and data:
            d = json.loads(data)
            out.append({"errno": d["errno"]} if d["ret"] == -1 else {"ret": d["ret"]})
        else:
            out.append({"error": f"{kind} {v}"})
    return out


def incoming(sock, frame, blocking):
    """The length of the incoming copy of `frame` on `sock`, or None."""
    sock.setblocking(blocking)
    sock.settimeout(1.0 if blocking else 0)
    try:
        while True:
            data, addr = sock.recvfrom(65536)
            if addr[2] != socket.PACKET_OUTGOING and data and frame.startswith(data):
                return len(data)
    except (BlockingIOError, socket.timeout):
        return None


def packet(req):
    """Each filter on its own AF_PACKET socket, beside a socket without a
    filter: Linux delivers a frame to every packet socket in one pass, so once
    the unfiltered socket has it, the filtered one has it too or never will."""
    ifname = req.get("ifname", "lo")
    frame = bytes.fromhex(req["frame"])
    out = []
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((ifname, 0))
    # one socket for the filters (attaching replaces the filter) and one without:
    # closing packet sockets is slow (synchronize_net)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((ifname, 0))
    ref = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    ref.bind((ifname, 0))
    for p in req["progs"]:
        hdr, _buf = fprog(p)
        rx.setsockopt(SOL_SOCKET, SO_ATTACH_FILTER, hdr)
        incoming(rx, frame, False)
        incoming(ref, frame, False)
        tx.send(frame)
        if incoming(ref, frame, True) is None:
            raise RuntimeError("the frame did not come back on " + ifname)
        out.append(incoming(rx, frame, False))
    for s in (rx, ref, tx):
        s.close()
    return out


class BpfInsn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


def libpcap():
    lib = ctypes.CDLL("libpcap.so.0.8")
    lib.bpf_image.restype = ctypes.c_char_p
    lib.bpf_image.argtypes = [ctypes.POINTER(BpfInsn), ctypes.c_int]
    lib.bpf_filter.restype = ctypes.c_uint
    lib.bpf_filter.argtypes = [ctypes.POINTER(BpfInsn), ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
    return lib


def insns(prog):
    arr = (BpfInsn * max(len(prog), 1))()
    for i, (c, jt, jf, k) in enumerate(prog):
        arr[i] = BpfInsn(c, jt, jf, k & 0xFFFFFFFF)
    return arr


def pcap_image(progs):
    lib = libpcap()
    out = []
    for p in progs:
        arr = insns(p)
        out.append([lib.bpf_image(ctypes.byref(arr[i]), i).decode() for i in range(len(p))])
    return out


def pcap_filter(req):
    lib = libpcap()
    packets = [bytes.fromhex(h) for h in req["packets"]]
    out = []
    for p in req["progs"]:
        arr = insns(p)
        out.append([lib.bpf_filter(arr, pkt, len(pkt), len(pkt)) for pkt in packets])
    return out


def kernel_oracle():
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools", "kernel-oracle.py")
    spec = importlib.util.spec_from_file_location("kernel_oracle", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ebpf_run(cases):
    ko = kernel_oracle()
    out = []
    for case in cases:
        raw, _ = ko.parse_insns(json.dumps(case["insns"]))
        fd, log, _ = ko.prog_load(1, raw)
        if fd < 0:
            out.append({"accepted": False, "error": ko.error_line(log) or os.strerror(-fd)})
            continue
        try:
            r = ko.prog_test_run(fd, bytes.fromhex(case["data"]))
        finally:
            os.close(fd)
        out.append({"accepted": True, "retval": r.get("retval"), "error": r.get("error")})
    return out


def main():
    cmd = sys.argv[1]
    req = json.load(sys.stdin)
    fn = {"attach": attach, "seccomp-load": seccomp_load, "seccomp-run": seccomp_run, "packet": packet, "ebpf-run": ebpf_run,
          "pcap-image": pcap_image, "pcap-filter": pcap_filter}[cmd]
    json.dump(fn(req), sys.stdout)


if __name__ == "__main__":
    main()
