#!/usr/bin/env python3
"""Ask the running kernel whether it accepts BTF blobs (bpf(BPF_BTF_LOAD)).

Test helper for test/btf-check.test.ts: the kernel's BTF verifier is the
oracle for checkBtf. Reads blobs from stdin, each as a 4-byte little-endian
length then the bytes; prints one JSON line per blob:
  {"ok": true}  or  {"ok": false, "errno": "EINVAL", "log": "<last log line>"}
With --probe, prints {"ok": true} if BPF_BTF_LOAD can be called at all.
Needs Linux and CAP_BPF (root); the caller skips when it cannot run.
"""
import ctypes
import errno
import json
import os
import platform
import struct
import sys

BPF_BTF_LOAD = 18
SYS_BPF = {'x86_64': 321, 'aarch64': 280}.get(platform.machine())


class BtfLoadAttr(ctypes.Structure):
    _fields_ = [
        ('btf', ctypes.c_uint64),
        ('btf_log_buf', ctypes.c_uint64),
        ('btf_size', ctypes.c_uint32),
        ('btf_log_size', ctypes.c_uint32),
        ('btf_log_level', ctypes.c_uint32),
        ('rest', ctypes.c_uint8 * 108),
    ]


libc = ctypes.CDLL(None, use_errno=True)
log = ctypes.create_string_buffer(1 << 24)


def attempt(buf, size, log_level):
    attr = BtfLoadAttr(ctypes.addressof(buf), ctypes.addressof(log) if log_level else 0, size,
                       len(log) if log_level else 0, log_level)
    ctypes.memset(log, 0, 1)
    fd = libc.syscall(SYS_BPF, BPF_BTF_LOAD, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd >= 0:
        os.close(fd)
        return 0
    return ctypes.get_errno()


def load(blob):
    buf = ctypes.create_string_buffer(blob, len(blob))
    # without a log first: a full log of a large BTF overflows any buffer (ENOSPC)
    err = attempt(buf, len(blob), 0)
    if err == 0:
        return {'ok': True}
    attempt(buf, len(blob), 1)
    lines = [l for l in log.value.decode(errors='replace').split('\n') if l.strip()]
    return {'ok': False, 'errno': errno.errorcode.get(err, str(err)), 'log': lines[-1] if lines else ''}


def main():
    if SYS_BPF is None:
        print(json.dumps({'ok': False, 'errno': 'ENOSYS', 'log': 'unknown architecture'}))
        return
    if '--probe' in sys.argv:
        # the smallest valid BTF: one int type
        strs = b'\0int\0'
        types = struct.pack('<IIII', 1, 1 << 24, 4, (1 << 24) | 32)
        hdr = struct.pack('<HBBIIIII', 0xeb9f, 1, 0, 24, 0, len(types), len(types), len(strs))
        print(json.dumps(load(hdr + types + strs)))
        return
    data = sys.stdin.buffer.read()
    at = 0
    while at < len(data):
        (n,) = struct.unpack_from('<I', data, at)
        print(json.dumps(load(data[at + 4:at + 4 + n])), flush=True)
        at += 4 + n


main()
