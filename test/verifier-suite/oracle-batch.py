#!/usr/bin/env python3
"""Ask the running kernel about many verifier-suite programs in one process.

stdin: a JSON list of jobs, each
  {"id": ..., "mode": "raw", "insns": ["<16 hex digits>", ...],
   "type": "xdp", "maps": ["hash:4:8:1", ...], "bigLog": false}
or
  {"id": ..., "mode": "elf", "object": "/path/x.o", "program": "name"}
("bigLog": true skips the quick first attempt with a small log buffer, for
programs known to log more than it holds, e.g. those that run into the
1,000,000 instruction limit: see prog_load below.)
stdout: a JSON list of {"id", "accepted", "stage", "errno", "error_line",
"insns_processed"}, in the order of the jobs.

Every job goes through kernel-oracle.py's own `raw` / `elf` command (imported
from ../shared/tools, or $KERNEL_ORACLE), exactly as on the command line, so
the verdicts and error lines are the oracle's.  Privilege is the caller's:
run this under `setpriv --bounding-set=-sys_admin,-perfmon,-net_admin` for
the suite's unprivileged cases.
"""
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "..", "shared", "tools",
                       "kernel-oracle.py")
PATH = os.environ.get("KERNEL_ORACLE", DEFAULT)

spec = importlib.util.spec_from_file_location("kernel_oracle", PATH)
oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oracle)

# kernel-oracle.py asks with a 64 MiB log buffer, and allocating it costs
# ~160 ms a program.  Ask first with 1 MiB: the log (and so the verdict and the
# error line) is the same unless it does not fit, which the kernel reports as
# ENOSPC; then ask again exactly as the oracle does.
SMALL_LOG = 1 << 20
_prog_load = oracle.prog_load
BIG_LOG = False  # set per job ("bigLog": the caller expects a huge log)


def prog_load(*args, **kw):
    if not BIG_LOG and kw.get("log_size", 0) > SMALL_LOG and \
            kw.get("log_level"):
        fd, log, size = _prog_load(*args, **dict(kw, log_size=SMALL_LOG))
        if fd != -28:  # ENOSPC: the log did not fit
            return fd, log, size
        oracle.close_fd(fd)
    return _prog_load(*args, **kw)


oracle.prog_load = prog_load

KEYS = ("accepted", "stage", "errno", "error_line", "insns_processed")


def run(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            oracle.main(argv)
        except SystemExit:
            pass
    lines = [l for l in buf.getvalue().splitlines() if l.strip()]
    if not lines:
        return {"accepted": False, "stage": "setup", "errno": 0,
                "error_line": "oracle printed nothing"}
    return json.loads(lines[-1])


def main():
    global BIG_LOG
    jobs = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory(prefix="tsbpf-vsuite-") as tmp:
        for n, job in enumerate(jobs):
            BIG_LOG = bool(job.get("bigLog"))
            try:
                if job["mode"] == "raw":
                    path = os.path.join(tmp, "p%d.json" % n)
                    with open(path, "w") as f:
                        json.dump(job["insns"], f)
                    argv = ["raw", path, "--format", "json", "--type",
                            job["type"], "--no-run", "--no-log"]
                    for m in job.get("maps", []):
                        argv += ["--map", m]
                else:
                    argv = ["elf", job["object"], "--prog", job["program"]]
                rec = run(argv)
            except Exception as e:  # one bad job must not stop the batch
                rec = {"accepted": False, "stage": "setup", "errno": 0,
                       "error_line": "batch: %s" % e}
            res = {k: rec.get(k) for k in KEYS}
            res["id"] = job["id"]
            out.append(res)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
