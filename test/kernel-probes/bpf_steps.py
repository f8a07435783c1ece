#!/usr/bin/env python3
"""Run a list of bpf(2) steps against the running Linux kernel and print what
each returned, so a test can run the same steps on tsbpf and compare.

Input (stdin, JSON): {"steps": [STEP, ...]}. Maps are named; a map's value
that is another map, and what a lookup in a map-in-map returns, are written
{"map": NAME}, so kernel fds and ids never show. Steps:

  {"op": "create", "name": N, "type": T, "key": K, "value": V, "max": M,
   "flags": F, "extra": X, "inner": NAME | "none" | "bad-fd" | "not-a-map"}
  {"op": "update", "map": N, "key": HEX, "value": HEX | {"map": N} | {"prog": P}
   | {"percpu": [HEX, ...]}, "flags": F}   (percpu: CPU i's value, each padded
                             to round_up(value_size, 8); CPUs past the list 0)
  {"op": "lookup" | "delete" | "next", "map": N, "key": HEX (next: optional)}
  {"op": "dump", "map": N}   every [key, value] in get-next-key order (or the
                             error of the first get-next-key, if not ENOENT)
  {"op": "push", "map": N, "value": HEX, "flags": F}   UPDATE_ELEM, no key
  {"op": "pop" | "peek", "map": N, "value": HEX (peek of a bloom filter),
   "key": HEX (pop of a hash map)}
                             LOOKUP_AND_DELETE_ELEM / LOOKUP_ELEM, no key
  {"op": "drain", "map": N}  pop until ENOENT: the values, in pop order
  {"op": "ringbuf", "map": N}  consume every committed record (mmap), in order
  {"op": "reopen", "name": N2, "map": N, "flags": F}
                             BPF_MAP_GET_FD_BY_ID with open_flags F: N2 is a
                             second fd of the same map
  {"op": "freeze", "map": N}
  {"op": "info", "map": N}   map_flags of BPF_OBJ_GET_INFO_BY_FD (a number)
  {"op": "batch", "cmd": "lookup" | "lookup_and_delete" | "update" | "delete",
   "map": N, "keys": [HEX], "values": [HEX], "count": C}
                             lookup*: [[key, value], ...] from the start;
                             update/delete: "ok"; or an errno name
  {"op": "load", "name": P, "type": PROG_TYPE, "insns": HEX, "maps": [N, ...],
   "funcs": [OFF, ...]}      load and keep a program (for a PROG_ARRAY)
  {"op": "run", "type": PROG_TYPE, "insns": HEX | "prog": P, "maps": [N, ...],
   "funcs": [OFF, ...], "data": HEX, "ctx": HEX, "out": BOOL, "cpu": C}
                             (maps: the fd_array of src 5 lddw; funcs: the
                             first instruction of each function, when there
                             are callbacks: Linux wants BTF func_info for them,
                             which the script makes up, each `int f(void)`)

Output (stdout, JSON): one result per step: "ok", an errno name, a hex
string, {"map": N}, a list of [key, value] (dump), or for "run"
{"retval": R} (with "out": {"retval": R, "data": HEX}) /
{"load": ERRNO, "log": L}. A per-CPU value is every possible CPU's value,
each rounded up to 8 bytes, as bpf(2) gives it.

Test runs of skb and XDP programs run on the CPU they are called on: the
script pins itself to CPU 0 (to "cpu" for the run of a step that names one),
so per-CPU values land in slot 0 (cpu), and bpf(2) calls come from CPU 0.

Uses kernel-oracle.py's bpf(2) wrappers; needs root. Everything created is
closed before exit; nothing is pinned.
"""
import ctypes
import errno
import importlib.util
import json
import mmap
import os
import struct
import sys

ORACLE = os.environ.get("KERNEL_ORACLE",
                        os.path.join(os.getcwd(), "..", "shared", "tools",
                                     "kernel-oracle.py"))
_spec = importlib.util.spec_from_file_location("kernel_oracle", ORACLE)
K = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(K)

LOOKUP, DELETE, NEXT_KEY, TEST_RUN, INFO = 1, 3, 4, 10, 15
MAP_GET_FD_BY_ID, LOOKUP_AND_DELETE, FREEZE = 14, 21, 22
BATCH = {"lookup": 24, "lookup_and_delete": 25, "update": 26, "delete": 27}
OF_MAPS = (12, 13)
PERCPU = (5, 6, 10, 21)   # PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE
RINGBUF_TYPE = 27
PAGE = mmap.PAGESIZE
RB_BUSY, RB_DISCARD, RB_HDR = 1 << 31, 1 << 30, 8


def possible_cpus():
    """Possible CPUs, from /sys/devices/system/cpu/possible ("0-1", "0,2-3")."""
    with open("/sys/devices/system/cpu/possible") as f:
        text = f.read().strip()
    n = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        n = max(n, int(hi or lo) + 1)
    return n


def value_size(spec):
    """What a user-space lookup returns: per-CPU maps give every possible CPU's value."""
    if spec["type"] in PERCPU:
        return (spec["value"] + 7) // 8 * 8 * possible_cpus()
    return spec["value"]


def ename(rc):
    # ENOTSUPP (524) is kernel-internal: Python's errno table lacks it
    return "ENOTSUPP" if rc == -524 else errno.errorcode.get(-rc, str(-rc))


def elem_cmd(cmd, fd, key, out_size):
    """A map element command; out_size 0 passes no output buffer (delete
    refuses a non-zero value field with EINVAL)."""
    k = ctypes.create_string_buffer(key, max(1, len(key))) if key is not None else None
    out = ctypes.create_string_buffer(out_size) if out_size else None
    a = ctypes.create_string_buffer(32)
    struct.pack_into("<IIQQQ", a, 0, fd, 0, K._ptr(k), K._ptr(out), 0)
    rc = K.sys_bpf(cmd, a)
    return rc, out.raw if out is not None else b""


def map_id(fd):
    info = ctypes.create_string_buffer(88)
    a = ctypes.create_string_buffer(16)
    struct.pack_into("<IIQ", a, 0, fd, 88, ctypes.addressof(info))
    if K.sys_bpf(INFO, a) < 0:
        return None
    return struct.unpack_from("<I", info, 4)[0]


def test_run(fd, data, ctx, out=False):
    """BPF_PROG_TEST_RUN; with `out`, also data_out (the packet as the program
    left it; room for an XDP frame grown by the whole tailroom)."""
    din = ctypes.create_string_buffer(data, len(data)) if data else None
    out_size = len(data) + 4096 if data else 0
    dout = ctypes.create_string_buffer(out_size) if data else None
    cin = ctypes.create_string_buffer(ctx, len(ctx)) if ctx else None
    a = ctypes.create_string_buffer(80)
    struct.pack_into("<IIIIQQII", a, 0, fd, 0, len(data), out_size,
                     K._ptr(din), K._ptr(dout), 0, 0)
    if cin is not None:
        struct.pack_into("<IIQ", a, 40, len(ctx), 0, K._ptr(cin))
    rc = K.sys_bpf(TEST_RUN, a)
    if rc < 0:
        return {"testrun": ename(rc)}
    res = {"retval": struct.unpack_from("<I", a, 4)[0]}
    if out:
        res["data"] = dout.raw[:struct.unpack_from("<I", a, 12)[0]].hex() if dout is not None else ""
    return res


def ringbuf_consume(fd, max_entries):
    """Every committed record after the consumer position, moving the
    consumer position past them, as a ring buffer consumer does (libbpf's
    ringbuf__consume): the consumer page (read-write) and the producer page
    with the data area mapped twice (read-only)."""
    cons = mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    prod = mmap.mmap(fd, PAGE + 2 * max_entries, mmap.MAP_SHARED, mmap.PROT_READ, offset=PAGE)
    try:
        out = []
        pos = struct.unpack_from("<Q", cons, 0)[0]
        end = struct.unpack_from("<Q", prod, 0)[0]
        while pos < end:
            at = PAGE + (pos & (max_entries - 1))
            hdr = struct.unpack_from("<I", prod, at)[0]
            if hdr & RB_BUSY:
                break
            size = hdr & ~(RB_BUSY | RB_DISCARD)
            if not hdr & RB_DISCARD:
                out.append(prod[at + RB_HDR:at + RB_HDR + size].hex())
            pos += (size + RB_HDR + 7) // 8 * 8
        struct.pack_into("<Q", cons, 0, pos)
        return out
    finally:
        cons.close()
        prod.close()


BTF_LOAD = 18
BTF_KIND_INT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO = 1, 12, 13


def func_btf(count):
    """A BTF blob with `int`, the proto `int (void)` and `count` static FUNCs
    f0, f1, … of that proto (type ids 3, 4, …)."""
    names = [b"int"] + [b"f%d" % i for i in range(count)]
    strs, offs = b"\0", []
    for n in names:
        offs.append(len(strs))
        strs += n + b"\0"
    types = struct.pack("<IIII", offs[0], BTF_KIND_INT << 24, 4, (1 << 24) | 32)
    types += struct.pack("<III", 0, BTF_KIND_FUNC_PROTO << 24, 1)
    for i in range(count):
        types += struct.pack("<III", offs[i + 1], BTF_KIND_FUNC << 24, 2)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
    return hdr + types + strs


def btf_load(blob):
    buf = ctypes.create_string_buffer(blob, len(blob))
    a = ctypes.create_string_buffer(40)
    struct.pack_into("<QQII", a, 0, ctypes.addressof(buf), 0, len(blob), 0)
    return K.sys_bpf(BTF_LOAD, a)


def prog_load(s, fds):
    """BPF_PROG_LOAD of a step's program; with "funcs", BTF and func_info
    (prog_btf_fd at 72, func_info_rec_size 76, func_info 80, func_info_cnt 88)."""
    ptype = K.type_num(K.PROG_TYPES, s["type"])
    insns = bytes.fromhex(s["insns"])
    funcs = s.get("funcs")
    if not funcs:
        fd, log, _ = K.prog_load(ptype, insns, fd_array=fds or None)
        return fd, log
    btf_fd = btf_load(func_btf(len(funcs)))
    if btf_fd < 0:
        return btf_fd, "BTF_LOAD failed"
    try:
        ib = ctypes.create_string_buffer(insns, len(insns))
        lic = ctypes.create_string_buffer(b"GPL\0")
        log = ctypes.create_string_buffer(1 << 20)
        fi = ctypes.create_string_buffer(b"".join(struct.pack("<II", off, 3 + i) for i, off in enumerate(funcs)))
        fda = (ctypes.c_int * len(fds))(*fds) if fds else None
        a = ctypes.create_string_buffer(152)
        struct.pack_into("<IIQQIIQ", a, 0, ptype, len(insns) // 8, ctypes.addressof(ib), ctypes.addressof(lic), 1, 1 << 20, ctypes.addressof(log))
        struct.pack_into("<IIQI", a, 72, btf_fd, 8, ctypes.addressof(fi), len(funcs))
        if fda is not None:
            struct.pack_into("<Q", a, 120, ctypes.addressof(fda))
        fd = K.sys_bpf(5, a)
        return fd, log.value.decode("utf-8", "replace")
    finally:
        K.close_fd(btf_fd)


def map_create(s, inner_fd):
    """BPF_MAP_CREATE, with map_extra (offset 64) for a bloom filter's hash count."""
    a = ctypes.create_string_buffer(80)
    struct.pack_into("<IIIIII", a, 0, s["type"], s["key"], s["value"], s["max"], s.get("flags", 0), inner_fd)
    nm = K.sanitize_name(s.get("name", "")).encode()[:15]
    a[28:28 + len(nm)] = nm
    struct.pack_into("<Q", a, 64, s.get("extra", 0))
    return K.sys_bpf(0, a)


def batch_cmd(cmd, fd, spec, keys, values, count, flags=0):
    """A batch command from the start of the map; returns (rc, count done, keys, values)."""
    ksz, vsz = spec["key"], value_size(spec)
    n = max(count, len(keys), 1)
    kb = ctypes.create_string_buffer(b"".join(keys), max(1, n * ksz))
    vb = ctypes.create_string_buffer(b"".join(values), max(1, n * vsz))
    out_batch = ctypes.create_string_buffer(max(8, ksz))
    a = ctypes.create_string_buffer(56)
    struct.pack_into("<QQQQIIQQ", a, 0, 0, K._ptr(out_batch), K._ptr(kb), K._ptr(vb),
                     count, fd, flags, 0)
    rc = K.sys_bpf(BATCH[cmd], a)
    done = struct.unpack_from("<I", a, 32)[0]
    return rc, done, [kb.raw[i * ksz:(i + 1) * ksz] for i in range(done)], [vb.raw[i * vsz:(i + 1) * vsz] for i in range(done)]


class Steps:
    def __init__(self):
        self.maps = {}  # name -> (fd, spec)
        self.progs = {}  # name -> fd
        self.junk = open("/dev/null", "rb")

    def fd(self, name):
        return self.maps[name][0]

    def create(self, s):
        inner = s.get("inner", "none")
        inner_fd = {"none": 0, "bad-fd": 1000000, "not-a-map": self.junk.fileno()}.get(inner)
        if inner_fd is None:
            inner_fd = self.fd(inner)
        fd = map_create(s, inner_fd)
        if fd < 0:
            return ename(fd)
        self.maps[s["name"]] = (fd, s)
        return "ok"

    def value_bytes(self, v, spec):
        if isinstance(v, dict) and "percpu" in v:
            slot = (spec["value"] + 7) // 8 * 8
            vals = v["percpu"] + ["00"] * possible_cpus()
            return b"".join(bytes.fromhex(x).ljust(slot, b"\0") for x in vals[:possible_cpus()])
        if isinstance(v, dict):
            return struct.pack("<I", self.fd(v["map"]) if "map" in v else self.progs.get(v["prog"], 1000000))
        return bytes.fromhex(v)

    def update(self, s):
        fd, spec = self.maps[s["map"]]
        value = self.value_bytes(s["value"], spec)
        # the kernel reads value_size bytes (every CPU's for a per-CPU map): never past the buffer
        value = value.ljust(value_size(spec), b"\0")
        rc = K.map_update(fd, bytes.fromhex(s["key"]), value, s.get("flags", 0))
        return "ok" if rc >= 0 else ename(rc)

    def lookup(self, s):
        fd, spec = self.maps[s["map"]]
        rc, out = elem_cmd(LOOKUP, fd, bytes.fromhex(s["key"]), value_size(spec))
        if rc < 0:
            return ename(rc)
        if spec["type"] in OF_MAPS:
            ident = struct.unpack("<I", out[:4])[0]
            names = [n for n, (f, _) in self.maps.items() if map_id(f) == ident]
            return {"map": names[0] if names else "?%d" % ident}
        return out.hex()

    def delete(self, s):
        rc, _ = elem_cmd(DELETE, self.fd(s["map"]), bytes.fromhex(s["key"]), 0)
        return "ok" if rc >= 0 else ename(rc)

    def next(self, s):
        fd, spec = self.maps[s["map"]]
        key = bytes.fromhex(s["key"]) if s.get("key") is not None else None
        rc, out = elem_cmd(NEXT_KEY, fd, key, spec["key"])
        return ename(rc) if rc < 0 else out.hex()

    def dump(self, s):
        fd, spec = self.maps[s["map"]]
        out, key = [], None
        while True:
            rc, nxt = elem_cmd(NEXT_KEY, fd, key, spec["key"])
            if rc < 0:
                # ENOENT ends the walk; any other error is the answer (EPERM of a write-only fd)
                return out if rc == -errno.ENOENT or out else ename(rc)
            rc, value = elem_cmd(LOOKUP, fd, nxt, value_size(spec))
            if rc >= 0:
                out.append([nxt.hex(), value.hex()])
            key = nxt

    def push(self, s):
        fd, spec = self.maps[s["map"]]
        v = ctypes.create_string_buffer(bytes.fromhex(s["value"]), spec["value"])
        a = ctypes.create_string_buffer(32)
        struct.pack_into("<IIQQQ", a, 0, fd, 0, 0, K._ptr(v), s.get("flags", 0))
        rc = K.sys_bpf(2, a)
        return "ok" if rc >= 0 else ename(rc)

    def take(self, cmd, s):
        fd, spec = self.maps[s["map"]]
        size = value_size(spec)
        v = ctypes.create_string_buffer(bytes.fromhex(s.get("value", "")), max(1, size))
        k = ctypes.create_string_buffer(bytes.fromhex(s["key"]), max(1, len(s["key"]) // 2)) if "key" in s else None
        a = ctypes.create_string_buffer(32)
        struct.pack_into("<IIQQQ", a, 0, fd, 0, K._ptr(k), K._ptr(v), s.get("flags", 0))
        rc = K.sys_bpf(cmd, a)
        if rc < 0:
            return ename(rc)
        return "ok" if "value" in s else v.raw[:size].hex()

    def pop(self, s):
        return self.take(LOOKUP_AND_DELETE, s)

    def peek(self, s):
        return self.take(LOOKUP, s)

    def drain(self, s):
        """Pop until ENOENT; another error is the answer."""
        out = []
        while len(out) <= 100000:
            v = self.pop({"map": s["map"]})
            if v == "ENOENT":
                return out
            if len(v) != 2 * self.maps[s["map"]][1]["value"]:
                return v
            out.append(v)
        return out

    def ringbuf(self, s):
        fd, spec = self.maps[s["map"]]
        return ringbuf_consume(fd, spec["max"])

    def reopen(self, s):
        fd, spec = self.maps[s["map"]]
        a = ctypes.create_string_buffer(16)
        struct.pack_into("<III", a, 0, map_id(fd), 0, s.get("flags", 0))
        nfd = K.sys_bpf(MAP_GET_FD_BY_ID, a)
        if nfd < 0:
            return ename(nfd)
        self.maps[s["name"]] = (nfd, spec)
        return "ok"

    def freeze(self, s):
        rc = K.sys_bpf(FREEZE, ctypes.create_string_buffer(struct.pack("<I", self.fd(s["map"])), 8))
        return "ok" if rc >= 0 else ename(rc)

    def info(self, s):
        info = ctypes.create_string_buffer(88)
        a = ctypes.create_string_buffer(16)
        struct.pack_into("<IIQ", a, 0, self.fd(s["map"]), 88, ctypes.addressof(info))
        rc = K.sys_bpf(INFO, a)
        return ename(rc) if rc < 0 else struct.unpack_from("<I", info, 20)[0]

    def batch(self, s):
        fd, spec = self.maps[s["map"]]
        keys = [bytes.fromhex(k) for k in s.get("keys", [])]
        values = [bytes.fromhex(v) for v in s.get("values", [])]
        rc, done, ks, vs = batch_cmd(s["cmd"], fd, spec, keys, values, s.get("count", len(keys)))
        if rc < 0 and not (rc == -errno.ENOENT and s["cmd"].startswith("lookup")):
            return ename(rc)
        return [[k.hex(), v.hex()] for k, v in zip(ks, vs)] if s["cmd"].startswith("lookup") else "ok"

    def load(self, s):
        fd, log = prog_load(s, [self.fd(n) for n in s.get("maps", [])])
        if fd < 0:
            return {"load": ename(fd), "log": K.error_line(log)}
        self.progs[s["name"]] = fd
        return "ok"

    def run(self, s):
        os.sched_setaffinity(0, {s.get("cpu", 0)})
        try:
            return self.run_here(s)
        finally:
            os.sched_setaffinity(0, {0})

    def run_here(self, s):
        data, ctx, out = bytes.fromhex(s.get("data", "")), bytes.fromhex(s.get("ctx", "")), s.get("out", False)
        if "prog" in s:
            return test_run(self.progs[s["prog"]], data, ctx, out)
        fd, log = prog_load(s, [self.fd(n) for n in s.get("maps", [])])
        if fd < 0:
            return {"load": ename(fd), "log": K.error_line(log)}
        try:
            return test_run(fd, data, ctx, out)
        finally:
            K.close_fd(fd)

    def close(self):
        for fd, _ in self.maps.values():
            K.close_fd(fd)
        for fd in self.progs.values():
            K.close_fd(fd)
        self.junk.close()


def main():
    os.sched_setaffinity(0, {0})
    steps = json.load(sys.stdin)["steps"]
    st = Steps()

    def answer(s):
        try:
            return getattr(st, s["op"])(s)
        except KeyError:
            return "EBADF"  # a map or program whose creation failed: there is no fd
    try:
        print(json.dumps([answer(s) for s in steps]))
    finally:
        st.close()


if __name__ == "__main__":
    main()
