#!/usr/bin/env python3
"""Batch front end of ../shared/tools/kernel-oracle.py for the verifier tests.

Loads many raw programs in one process (the oracle's `raw` command loads one)
and reports the kernel verifier's verdict for each. Needs Linux and root.

stdin:  [{"insns": [[code, dst, src, off, imm], ...], "type": "xdp",
          "maps": [{"type": "hash", "key": 4, "value": 8, "max": 16,
                    "flags": 0}, ...], "logLevel": 1}, ...]
        lddw src 1/2 with imm i names maps[i]; src 5/6 index fd_array
        (the same maps, in order).
stdout: [{"accepted": bool, "errno": N, "error": line or null,
          "processed": N or null, "log": text}, ...]
"""

import importlib.util
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "shared", "tools", "kernel-oracle.py")
spec = importlib.util.spec_from_file_location("kernel_oracle", TOOL)
ko = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ko)


def encode(insns):
    out = bytearray()
    for code, dst, src, off, imm in insns:
        out += struct.pack("<BBhi", code, (src << 4) | dst, off, imm)
    return out


def load(p):
    fds = []
    try:
        for m in p.get("maps", []):
            fd = ko.map_create(ko.type_num(ko.MAP_TYPES, m["type"]), m["key"],
                               m["value"], m["max"], m.get("flags", 0))
            if fd < 0:
                return {"accepted": False, "errno": -fd, "error": "map setup: %s" % os.strerror(-fd),
                        "processed": None, "log": ""}
            fds.append(fd)
        b = encode(p["insns"])
        for i in range(0, len(b) - 8, 8):
            if b[i] == 0x18 and (b[i + 1] >> 4) in (1, 2):
                idx = struct.unpack_from("<i", b, i + 4)[0]
                if 0 <= idx < len(fds):
                    struct.pack_into("<i", b, i + 4, fds[idx])
        ptype = ko.type_num(ko.PROG_TYPES, p.get("type", "xdp"))
        fd, log, _ = ko.prog_load(ptype, bytes(b), log_level=p.get("logLevel", 1), log_size=1 << 24,
                                  fd_array=fds or None)
        ko.close_fd(fd)
        st = ko.parse_stats(log)
        return {"accepted": fd >= 0, "errno": 0 if fd >= 0 else -fd,
                "error": None if fd >= 0 else ko.error_line(log),
                "processed": st.get("insns_processed"), "log": log}
    finally:
        for fd in fds:
            ko.close_fd(fd)


def main():
    progs = json.load(sys.stdin)
    json.dump([load(p) for p in progs], sys.stdout)


if __name__ == "__main__":
    main()
