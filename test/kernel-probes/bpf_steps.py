#!/usr/bin/env python3
"""Run a list of bpf(2) steps against the running Linux kernel and print what
each returned, so a test can run the same steps on tsbpf and compare.

Input (stdin, JSON): {"steps": [STEP, ...]}. Maps are named; a map's value
that is another map, and what a lookup in a map-in-map returns, are written
{"map": NAME}, so kernel fds and ids never show. Steps:

  {"op": "create", "name": N, "type": T, "key": K, "value": V, "max": M,
   "flags": F, "inner": NAME | "none" | "bad-fd" | "not-a-map"}
  {"op": "update", "map": N, "key": HEX, "value": HEX | {"map": N}, "flags": F}
  {"op": "lookup" | "delete" | "next", "map": N, "key": HEX (next: optional)}
  {"op": "dump", "map": N}   every [key, value] in get-next-key order
  {"op": "run", "type": PROG_TYPE, "insns": HEX, "maps": [N, ...],
   "data": HEX, "ctx": HEX}   (maps: the fd_array of src 5 lddw)

Output (stdout, JSON): one result per step: "ok", an errno name, a hex
string, {"map": N}, a list of [key, value] (dump), or for "run"
{"retval": R} / {"load": ERRNO, "log": L}.

Uses kernel-oracle.py's bpf(2) wrappers; needs root. Everything created is
closed before exit; nothing is pinned.
"""
import ctypes
import errno
import importlib.util
import json
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
OF_MAPS = (12, 13)


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


def test_run(fd, data, ctx):
    din = ctypes.create_string_buffer(data, len(data)) if data else None
    dout = ctypes.create_string_buffer(len(data) + 256) if data else None
    cin = ctypes.create_string_buffer(ctx, len(ctx)) if ctx else None
    a = ctypes.create_string_buffer(80)
    struct.pack_into("<IIIIQQII", a, 0, fd, 0, len(data), len(data) + 256 if data else 0,
                     K._ptr(din), K._ptr(dout), 0, 0)
    if cin is not None:
        struct.pack_into("<IIQ", a, 40, len(ctx), 0, K._ptr(cin))
    rc = K.sys_bpf(TEST_RUN, a)
    if rc < 0:
        return {"testrun": ename(rc)}
    return {"retval": struct.unpack_from("<I", a, 4)[0]}


class Steps:
    def __init__(self):
        self.maps = {}  # name -> (fd, spec)
        self.junk = open("/dev/null", "rb")

    def fd(self, name):
        return self.maps[name][0]

    def create(self, s):
        inner = s.get("inner", "none")
        inner_fd = {"none": 0, "bad-fd": 1000000, "not-a-map": self.junk.fileno()}.get(inner)
        if inner_fd is None:
            inner_fd = self.fd(inner)
        fd = K.map_create(s["type"], s["key"], s["value"], s["max"], s.get("flags", 0), inner_fd, s.get("name", ""))
        if fd < 0:
            return ename(fd)
        self.maps[s["name"]] = (fd, s)
        return "ok"

    def value_bytes(self, v):
        return struct.pack("<I", self.fd(v["map"])) if isinstance(v, dict) else bytes.fromhex(v)

    def update(self, s):
        rc = K.map_update(self.fd(s["map"]), bytes.fromhex(s["key"]), self.value_bytes(s["value"]), s.get("flags", 0))
        return "ok" if rc >= 0 else ename(rc)

    def lookup(self, s):
        fd, spec = self.maps[s["map"]]
        rc, out = elem_cmd(LOOKUP, fd, bytes.fromhex(s["key"]), spec["value"])
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
                return out
            rc, value = elem_cmd(LOOKUP, fd, nxt, spec["value"])
            if rc >= 0:
                out.append([nxt.hex(), value.hex()])
            key = nxt

    def run(self, s):
        fds = [self.fd(n) for n in s.get("maps", [])]
        ptype = K.type_num(K.PROG_TYPES, s["type"])
        fd, log, _ = K.prog_load(ptype, bytes.fromhex(s["insns"]), fd_array=fds or None)
        if fd < 0:
            return {"load": ename(fd), "log": K.error_line(log)}
        try:
            return test_run(fd, bytes.fromhex(s.get("data", "")), bytes.fromhex(s.get("ctx", "")))
        finally:
            K.close_fd(fd)

    def close(self):
        for fd, _ in self.maps.values():
            K.close_fd(fd)
        self.junk.close()


def main():
    steps = json.load(sys.stdin)["steps"]
    st = Steps()
    try:
        print(json.dumps([getattr(st, s["op"])(s) for s in steps]))
    finally:
        st.close()


if __name__ == "__main__":
    main()
