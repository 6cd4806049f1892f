"""Shared by the hostile-peer and fault tests: run a pipeline through
gstrun.py (errors with domain and code, EOS, NULL-state timing, threads
left, peak RSS), and assert on what a user sees.

The process management (free ports, logs, cleanup) and the sanitizer
environment come from the interop tests' peers.py and gst.py.
"""

import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import gst  # noqa: E402
from peers import Peers, log, need, skip, tail, wait_until  # noqa: E402,F401

DATA = os.path.join(HERE, "..", "data")
MEDIA = os.path.join(DATA, "ffmpeg-avc-aac.flv")
SANITIZED = bool(os.environ.get("RTMPE_SANITIZER_PRELOAD"))


def gi_python():
    """A Python that has PyGObject (python3-gi is Debian's, for
    /usr/bin/python3; the python3 first in PATH may be another)."""
    global _GI_PYTHON
    if _GI_PYTHON is None:
        for exe in (sys.executable, "/usr/bin/python3"):
            if exe and subprocess.run([exe, "-c", "import gi"],
                                      capture_output=True).returncode == 0:
                _GI_PYTHON = exe
                break
        else:
            skip("PyGObject is not installed (python3-gi, gir1.2-gstreamer-1.0)")
    return _GI_PYTHON


_GI_PYTHON = None


def rss_limit_mb(normal):
    """A peak-RSS bound: @normal MB in a normal build; AddressSanitizer's
    shadow memory and quarantine (256 MB by default) cost more."""
    return normal * 3 + 300 if SANITIZED else normal


class Run:
    """A pipeline run by gstrun.py in its own process."""

    def __init__(self, peers, pipeline, name, timeout=30, count=(), extra_env=None, props=()):
        args = [gi_python(), os.path.join(HERE, "gstrun.py"), "--timeout", str(timeout)]
        for c in count:
            args += ["--count", c]
        for p in props:
            args += ["--set", p]
        args.append(pipeline)
        self.name = name
        self.logpath = peers.path(f"{name}.log")
        self._logf = open(self.logpath, "wb")
        env = gst.env(extra_env)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._logf, env=env, start_new_session=True)
        # peers.py cleans it up with the rest
        self.proc.logpath, self.proc.name, self.proc._logf = self.logpath, name, self._logf
        peers.procs.append(self.proc)
        self.events = []
        self.cond = threading.Condition()
        self.rusage = None
        self.t0 = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()

    def wait_event(self, pred, timeout, what="event"):
        """The first event for which @pred is true, waiting up to @timeout
        seconds; fails if the run ended (or timed out) without one."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                if time.monotonic() > deadline or any(
                        e.get("type") == "end" for e in self.events):
                    raise AssertionError(f"{self.name}: no {what} within {timeout} s; "
                                         f"events {self.events[-8:]}\n{tail(self.logpath)}")
                self.cond.wait(0.1)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def null(self):
        self.send("null")

    def counts(self, name="out", timeout=5):
        """The buffers counted so far at fakesink @name."""
        n = len(self.all("counts"))
        self.send("counts")
        ev = self.wait_event(lambda e: e.get("type") == "counts" and
                             len(self.all("counts")) > n, timeout, "counts")
        return self.all("counts")[-1]["counts"][name] if ev else 0

    def wait(self, timeout):
        """Waits for the exit; returns the exit status. Kills and fails on
        timeout."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == self.proc.pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.rusage = ru
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not finish in {timeout} s: "
                                     f"{self.events[-5:]}\n{tail(self.logpath)}")
            time.sleep(0.02)
        # let the reader take the last lines
        if self.proc.returncode >= 0:
            wait_until(lambda: any(e.get("type") == "end" for e in self.events), 5,
                       f"{self.name}: end report")
        self._logf.close()
        return self.proc.returncode

    def first(self, kind):
        for ev in self.events:
            if ev.get("type") == kind:
                return ev
        return None

    def all(self, kind):
        return [ev for ev in self.events if ev.get("type") == kind]

    @property
    def end(self):
        return self.first("end") or {}

    def peak_rss_mb(self):
        if self.rusage:
            return self.rusage.ru_maxrss / 1024
        return self.end.get("rss_kb", 0) / 1024

    def log_text(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")


def expect_error(run, domain, code_name, message_has=(), debug_has=(), within=None):
    """Asserts the run ended on an error from the bus with this domain
    ("resource", "stream") and code name ("NOT_FOUND" ...), whose message and
    debug text contain the given strings; returns the error event."""
    err = run.first("error")
    assert err, f"{run.name}: no error; events {run.events[-8:]}\n{tail(run.logpath)}"
    assert err["domain"] == f"gst-{domain}-error-quark", err
    assert err["code_name"] == code_name, err
    for s in ([message_has] if isinstance(message_has, str) else message_has):
        assert s in err["message"], (s, err)
    for s in ([debug_has] if isinstance(debug_has, str) else debug_has):
        assert s in (err["debug"] or ""), (s, err)
    if within is not None:
        assert err["t"] <= within, f"error after {err['t']} s, wanted within {within} s: {err}"
    return err


def expect_clean_stop(run, null_within=1.0):
    """set_state(NULL) returned within @null_within seconds and left none
    of our threads behind; no crash."""
    end = run.end
    assert end, f"{run.name}: no end report (crashed?) rc {run.proc.returncode}\n" \
                f"{tail(run.logpath)}"
    assert end["null_seconds"] <= null_within, end
    assert end["rtmpe_threads"] == [], end
    return end


def check_rss(run, limit_normal_mb, what):
    mb = run.peak_rss_mb()
    limit = rss_limit_mb(limit_normal_mb)
    assert mb <= limit, f"{what}: peak RSS {mb:.0f} MB over {limit} MB"
    return mb


def report(case, outcome, run=None, **figures):
    """One line a case, for docs/reliability.md."""
    parts = [f"{case}: {outcome}"]
    if run is not None:
        parts.append(f"peak RSS {run.peak_rss_mb():.0f} MB")
    parts += [f"{k}={v}" for k, v in figures.items()]
    log(" | ".join(parts))


def main(cases, argv):
    if len(argv) != 2 or argv[1] not in cases:
        print("usage: " + os.path.basename(argv[0]) + " " + "|".join(sorted(cases)))
        sys.exit(2)
    need("gst-launch-1.0")
    # a fresh registry is built by the first process that loads GStreamer,
    # at a cost in RSS that is not ours: do it here, not in a measured run
    subprocess.run(["gst-inspect-1.0", "rtmpesrc"], env=gst.env(), capture_output=True)
    cases[argv[1]]()
