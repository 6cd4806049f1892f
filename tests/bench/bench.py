#!/usr/bin/env python3
"""gst-rtmpe benchmark: our rtmpesink/rtmpesrc next to GStreamer's
rtmp2sink/rtmp2src and librtmp's rtmpsink/rtmpsrc, against one private
nginx-rtmp on 127.0.0.1, in one run, interleaved (A B C A B C ...).

Not part of the test command. Python 3 standard library only.

  tests/bench/bench.py                # the full run (about an hour)
  tests/bench/bench.py --quick        # a smoke run of a few minutes
  tests/bench/bench.py --only sink,instr,unpaced
  tests/bench/bench.py --list         # the candidates and the figures

Candidates are gst-launch fragments in the CANDIDATES table below; the
figures, what they mean and how each is measured are described in
docs/performance.md. The script reports target misses, it does not fail on
them: it exits non-zero only when the harness itself cannot run (no nginx,
no media, a bug).
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
MB = 1e6


class HarnessError(Exception):
    """Something the harness needs is missing or broken (exit status 2)."""


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Candidates: gst-launch fragments. {url} is filled in with the URL of the
# candidate's protocol (rtmp:// nginx, rtmps:// stunnel in front of nginx,
# rtmpe:// our own listen mode), {ca} with the CA file of the test
# certificate. Sinks get " sync=true|false" appended and a feed in front;
# sources get " ! fakesink ..." appended.
#
#   key      short name used by --only and in the tables
#   group    rtmp2 | librtmp | ours
#   anchor   True for the elements we compare against
#   best     the anchor's best setting (targets hold ours to the best)
#   feed     for sinks: which FEEDS entry goes in front of the fragment
#   env      extra environment (GST_DEBUG is otherwise unset)
#   needs    elements that must exist (else the row says "not available")
#   server   for rtmpe: the listen-mode server that stands in for nginx
# ---------------------------------------------------------------------------

FEEDS = {
    # flvdemux ! flvmux: one FLV tag per buffer, with timestamps (sync=true
    # paces it). rtmp2sink needs this: it cannot take an FLV byte stream
    # (GStreamer has no flvparse).
    "tags": ("filesrc location={media} ! flvdemux name=d flvmux name=m "
             "streamable=true d.video ! queue ! m.video d.audio ! queue ! "
             "m.audio m."),
    # the file as it is, in filesrc's default 4096-byte buffers: librtmp
    # and ours parse FLV from a byte stream themselves
    "raw": "filesrc location={media}",
    # the same in 64 KiB buffers: librtmp's rtmpsink crashes on the 30 s
    # files with 4096-byte buffers (SIGSEGV or heap corruption), not with
    # these
    "raw64k": "filesrc location={media} blocksize=65536",
}

QUIET_LIBRTMP = {"GST_DEBUG": "rtmp:1"}

CANDIDATES = [
    # ---- sinks -------------------------------------------------------------
    dict(key="rtmp2sink", kind="sink", group="rtmp2", anchor=True,
         proto="rtmp", feed="tags", frag="rtmp2sink location={url}",
         label="rtmp2sink (defaults)"),
    dict(key="rtmp2sink-64k", kind="sink", group="rtmp2", anchor=True,
         best=True, proto="rtmp", feed="tags",
         frag="rtmp2sink location={url} chunk-size=65536",
         label="rtmp2sink chunk-size=65536"),
    dict(key="rtmpsink", kind="sink", group="librtmp", anchor=True,
         proto="rtmp", feed="tags", frag="rtmpsink location={url}",
         label="rtmpsink (defaults)"),
    dict(key="rtmpsink-quiet", kind="sink", group="librtmp", anchor=True,
         best=True, proto="rtmp", feed="tags", env=QUIET_LIBRTMP,
         frag="rtmpsink location={url}", label="rtmpsink GST_DEBUG=rtmp:1"),
    dict(key="rtmpsink-quiet-raw", kind="sink", group="librtmp", anchor=True,
         best=True, proto="rtmp", feed="raw64k", env=QUIET_LIBRTMP,
         frag="rtmpsink location={url}",
         label="rtmpsink GST_DEBUG=rtmp:1, raw FLV 64 KiB"),
    dict(key="rtmpsink-rtmps", kind="sink", group="librtmp", anchor=True,
         best=True, proto="rtmps", feed="tags", env=QUIET_LIBRTMP,
         frag="rtmpsink location={url}",
         label="rtmpsink rtmps:// GST_DEBUG=rtmp:1"),
    dict(key="rtmpsink-rtmpe", kind="sink", group="librtmp", anchor=True,
         best=True, proto="rtmpe", feed="tags", env=QUIET_LIBRTMP,
         frag="rtmpsink location={url}",
         label="rtmpsink rtmpe:// GST_DEBUG=rtmp:1"),
    dict(key="rtmpesink", kind="sink", group="ours", proto="rtmp",
         feed="tags", frag="rtmpesink location={url}",
         label="rtmpesink rtmp://"),
    dict(key="rtmpesink-raw", kind="sink", group="ours", proto="rtmp",
         feed="raw", frag="rtmpesink location={url}",
         label="rtmpesink rtmp://, raw FLV 4 KiB"),
    dict(key="rtmpesink-raw64k", kind="sink", group="ours", proto="rtmp",
         feed="raw64k", frag="rtmpesink location={url}",
         label="rtmpesink rtmp://, raw FLV 64 KiB"),
    dict(key="rtmpesink-rtmpe", kind="sink", group="ours", proto="rtmpe",
         feed="tags", frag="rtmpesink location={url}",
         label="rtmpesink rtmpe://"),
    dict(key="rtmpesink-rtmps", kind="sink", group="ours", proto="rtmps",
         feed="tags", frag="rtmpesink location={url} tls-ca-file={ca}",
         label="rtmpesink rtmps://"),
    # ---- sources -----------------------------------------------------------
    dict(key="rtmp2src", kind="src", group="rtmp2", anchor=True, best=True,
         proto="rtmp", frag="rtmp2src location={url}",
         label="rtmp2src (defaults)"),
    dict(key="rtmpsrc", kind="src", group="librtmp", anchor=True,
         proto="rtmp", frag='rtmpsrc location="{url} live=1"',
         label="rtmpsrc (defaults)"),
    dict(key="rtmpsrc-quiet", kind="src", group="librtmp", anchor=True,
         best=True, proto="rtmp", env=QUIET_LIBRTMP,
         frag='rtmpsrc location="{url} live=1"',
         label="rtmpsrc GST_DEBUG=rtmp:1"),
    dict(key="rtmpsrc-rtmps", kind="src", group="librtmp", anchor=True,
         best=True, proto="rtmps", env=QUIET_LIBRTMP,
         frag='rtmpsrc location="{url} live=1"',
         label="rtmpsrc rtmps:// GST_DEBUG=rtmp:1"),
    dict(key="rtmpesrc", kind="src", group="ours", proto="rtmp",
         frag="rtmpesrc location={url}", label="rtmpesrc rtmp://"),
    dict(key="rtmpesrc-rtmps", kind="src", group="ours", proto="rtmps",
         frag="rtmpesrc location={url} tls-ca-file={ca}",
         label="rtmpesrc rtmps://"),
]

# Our listen mode, standing in for nginx where nginx cannot serve (RTMPE).
# {port} {stream}; {out} is where the server writes what it received.
LISTEN_SERVERS = {
    # figure 6: one process ingesting n publishers, streams live/in0 ...
    # live/in{n-1}. A listening rtmpesrc takes one publisher of one stream,
    # so this fragment is repeated once per stream in one gst-launch, each
    # copy on its own port ({port} {i}).
    "ingest": ("rtmpesrc mode=listen location=rtmp://127.0.0.1:{port}/live/"
               "in{i} ! fakesink sync=false"),
    "sink": ("rtmpesrc mode=listen location=rtmpe://127.0.0.1:{port}/live/"
             "{stream} ! filesink location={out} sync=false"),
}

# our source files, for the inclusive callgrind view
OUR_SOURCES = r"/(ext/rtmpe|ext/crypto|gst/rtmp|gst/flv|gst/amf|gst/common)/"

# the gst-launch pipeline that measures GStreamer's own start-up
STARTUP_BASELINE = "videotestsrc is-live=true"

FIGURES = {
    "instr": "(1) instructions per byte (callgrind), sink and src",
    "copies": "(1b) user-space copies per byte published (memcpy count)",
    "syscalls": "(1c) syscalls per MB published (strace -c -f)",
    "unpaced": "(2) unpaced publish of the 50 Mbit/s file: wall, CPU, "
               "frames stored",
    "realtime": "(3) CPU % of one core, one real-time 8 Mbit/s stream",
    "startup": "(4) process start to first buffer of a live stream",
    "play": "(5) play throughput and CPU per 100 MB (live relay, unpaced)",
    "listen": "(6) listen mode: CPU per ingested stream, 50 publishers",
    "rc4": "(7) RC4 MB/s next to openssl speed, and instructions per byte",
    "rss": "(8) peak RSS (from the runs of figures 2, 3 and 5)",
}


# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------

class Procs:
    """Every process the harness starts: each in its own process group, so
    that stopping it stops its children too; all stopped at exit."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.live = []
        self.n = 0

    def start(self, argv, name, env=None, stdout=None, rss=False, **kw):
        """Starts argv in a new process group. rss=True runs it under GNU
        time for its peak RSS: a child of this Python process inherits
        Python's own peak as the floor of its ru_maxrss (Linux keeps the
        high-water mark across fork and exec), a grandchild of the small
        `time` process does not."""
        self.n += 1
        logpath = os.path.join(self.workdir, f"{self.n:04d}-{name}.log")
        logf = open(logpath, "wb")
        rssfile = None
        if rss and os.path.exists("/usr/bin/time"):
            rssfile = logpath[:-4] + ".rss"
            argv = ["/usr/bin/time", "-f", "%M", "-o", rssfile] + list(argv)
        p = subprocess.Popen(argv, stdout=stdout if stdout else logf,
                             stderr=logf, stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True, **kw)
        p.t_start = time.monotonic()
        p.logpath = logpath
        p.logf = logf
        p.name = name
        p.rusage = None
        p.t_end = None
        p.rssfile = rssfile
        p.done = threading.Event()

        # one reaper per process, so that its rusage is ours: nothing else
        # may wait for it (no Popen.poll/wait/send_signal on these)
        def reap():
            _, status, ru = os.wait4(p.pid, 0)
            p.t_end = time.monotonic()
            p.rusage = ru
            p.returncode = os.waitstatus_to_exitcode(status)
            p.done.set()

        threading.Thread(target=reap, daemon=True).start()
        self.live.append(p)
        return p

    @staticmethod
    def target_pid(p, timeout=10.0):
        """The measured process: p itself, or the child of `time`."""
        if not p.rssfile:
            return p.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not p.done.is_set():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    return int(f.read().split()[0])
            time.sleep(0.002)
        raise RunError(f"{p.name}: no child under time")

    @staticmethod
    def peak_rss(p):
        """Bytes, from GNU time's %M (KiB); None when unknown."""
        if not p.rssfile or not p.done.is_set():
            return None
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(p.rssfile) as f:
                return int(f.read().split()[-1]) * 1024
        return None

    @staticmethod
    def kill(p, sig):
        if not p.done.is_set():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)

    def stop(self, p, sigs=(signal.SIGTERM,), grace=5.0):
        """Signals the process group with each signal in turn, waiting
        grace seconds after each, then SIGKILL."""
        if isinstance(sigs, int):
            sigs = (sigs,)
        for sig in list(sigs) + [signal.SIGKILL]:
            if p.done.is_set():
                break
            self.kill(p, sig)
            p.done.wait(grace if sig != signal.SIGKILL else 30)
        self._forget(p)
        return p.returncode

    @staticmethod
    def wait(p, timeout):
        """Waits for exit; False on timeout. A gst-launch that crashed
        does not exit: its fault handler prints "Caught SIGSEGV" and spins
        until a debugger comes, so the log is watched too."""
        deadline = time.monotonic() + timeout
        while not p.done.wait(min(0.25, max(0, deadline - time.monotonic()))):
            if crashed(p):
                raise RunError(f"{p.name} crashed ({crash_line(p)})")
            if time.monotonic() >= deadline:
                return False
        return True

    def _forget(self, p):
        if p in self.live:
            self.live.remove(p)
        with contextlib.suppress(Exception):
            p.logf.close()

    def cleanup(self):
        for p in list(reversed(self.live)):
            with contextlib.suppress(Exception):
                self.stop(p, signal.SIGTERM, grace=3)


def crashed(p):
    """True when p's log shows gst-launch's fault handler (it then spins
    forever instead of exiting)."""
    try:
        size = os.path.getsize(p.logpath)
    except OSError:
        return False
    if size == getattr(p, "_crash_seen_size", -1):
        return getattr(p, "_crashed", False)
    p._crash_seen_size = size
    with open(p.logpath, "rb") as f:
        f.seek(max(0, size - 8192))
        p._crashed = b"Please run 'gdb" in f.read()
    return p._crashed


def crash_line(p):
    try:
        with open(p.logpath, "rb") as f:
            for line in f.read().decode("utf-8", "replace").splitlines():
                if line.startswith("Caught "):
                    return line
    except OSError:
        pass
    return "fault handler"


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no log)"


def wait_until(pred, timeout, what, proc=None, interval=0.01):
    """Polls pred() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if proc is not None and proc.done.is_set():
            raise RunError(f"{what}: {proc.name} exited with "
                           f"{proc.returncode}:\n{tail(proc.logpath)}")
        if proc is not None and crashed(proc):
            raise RunError(f"{what}: {proc.name} crashed:\n"
                           f"{tail(proc.logpath)}")
        if time.monotonic() > deadline:
            raise RunError(f"{what}: not after {timeout} s")
        time.sleep(interval)


class RunError(Exception):
    """One run of one candidate failed: reported in its row, not fatal."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True when something listens on 127.0.0.1:port or 0.0.0.0:port
    (read from /proc/net/tcp, so that polling opens no connection)."""
    want = f":{port:04X}"
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[3] == "0A" and parts[1].endswith(want):
                return True
    return False


def proc_cpu_ns(pid):
    """CPU time of all live threads of pid, in ns (schedstat)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
    except OSError:
        return None
    return total


def proc_switches(pid):
    """Context switches (voluntary and not) of all live threads of pid."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    total += sum(int(line.split()[1]) for line in f
                                 if "ctxt_switches:" in line)
    except OSError:
        return None
    return total


def socket_inodes(pid):
    out = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
                if t.startswith("socket:["):
                    out.add(int(t[8:-1]))
    return out


# ---- TCP sockets through sock_diag (what `ss -ti` shows, without forking) --

def tcp_sockets():
    """All IPv4 TCP sockets: dicts with sport, dport, state, rq, wq, inode,
    bytes_received (from tcp_info)."""
    NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
    NLM_F_REQUEST, NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR = 1, 0x300, 3, 2
    INET_DIAG_INFO = 2
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP,
                      1 << (INET_DIAG_INFO - 1), 0, 0xFFFFFFFF) + bytes(48)
    hdr = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY,
                      NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    out = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                       NETLINK_SOCK_DIAG) as s:
        s.sendall(hdr + req)
        done = False
        while not done:
            data = s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, typ, _, _, _ = struct.unpack_from("=IHHII", data, off)
                if ln < 16:
                    done = True
                    break
                if typ in (NLMSG_DONE, NLMSG_ERROR):
                    done = True
                    break
                m = off + 16
                state = data[m + 1]
                sport, dport = struct.unpack_from(">HH", data, m + 4)
                rq, wq, _, inode = struct.unpack_from("=IIII", data, m + 56)
                rec = dict(sport=sport, dport=dport, state=state, rq=rq,
                           wq=wq, inode=inode, bytes_received=None)
                a = m + 72
                while a + 4 <= off + ln:
                    alen, atyp = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atyp == INET_DIAG_INFO and alen - 4 >= 136:
                        rec["bytes_received"] = struct.unpack_from(
                            "=Q", data, a + 4 + 128)[0]
                    a += (alen + 3) & ~3
                out.append(rec)
                off += (ln + 3) & ~3
    return out


# ---------------------------------------------------------------------------
# media
# ---------------------------------------------------------------------------

def flv_info(path):
    """Counts the tags of an FLV file and sums their payloads."""
    info = dict(size=os.path.getsize(path), video=0, audio=0, script=0,
                av_payload=0, duration=0.0)
    with open(path, "rb") as f:
        head = f.read(9)
        if head[:3] != b"FLV":
            raise HarnessError(f"{path}: not an FLV file")
        f.seek(struct.unpack(">I", head[5:9])[0] + 4)
        last_ts = 0
        while True:
            h = f.read(11)
            if len(h) < 11:
                break
            typ = h[0] & 0x1F
            size = int.from_bytes(h[1:4], "big")
            ts = int.from_bytes(h[4:7], "big") | (h[7] << 24)
            if typ == 9:
                info["video"] += 1
                info["av_payload"] += size
            elif typ == 8:
                info["audio"] += 1
                info["av_payload"] += size
            elif typ == 18:
                info["script"] += 1
            last_ts = max(last_ts, ts)
            f.seek(size + 4, 1)
        info["duration"] = last_ts / 1000.0
    return info


def count_video_frames(path):
    """Video packets in a file, as ffprobe counts them."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                        "-count_packets", "-show_entries",
                        "stream=nb_read_packets", "-of", "csv=p=0", path],
                       capture_output=True, text=True, timeout=300)
    try:
        return int(r.stdout.strip().splitlines()[0].strip(","))
    except (ValueError, IndexError):
        return 0


def ffprobe_bitrate(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "format=bit_rate,duration", "-of", "json", path],
                       capture_output=True, text=True, timeout=120)
    fmt = json.loads(r.stdout or "{}").get("format", {})
    return float(fmt.get("bit_rate", 0)), float(fmt.get("duration", 0))


MEDIA = {
    # name: (video bitrate, maxrate, bufsize, extra video filter)
    "8M": ("8M", "8M", "16M", None),
    # the publishers of figure 6
    "2M": ("2M", "2M", "4M", None),
    # testsrc2 alone compresses too well for 50 Mbit/s: add temporal noise
    "50M": ("50M", "50M", "100M", "noise=alls=20:allf=t+u"),
}


def media_command(name, seconds, out):
    rate, maxrate, bufsize, vf = MEDIA[name]
    cmd = ["ffmpeg", "-v", "error", "-y",
           "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
           "-t", str(seconds)]
    if vf:
        cmd += ["-vf", vf]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-b:v", rate, "-maxrate", maxrate, "-bufsize", bufsize,
            "-g", "50", "-c:a", "aac", "-b:a", "128k", "-f", "flv", out]
    return cmd


def make_media(cache, name, seconds):
    """The test file, made once and kept in the cache directory."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"testsrc2-1080p25-{name}-{seconds}s.flv")
    if not os.path.exists(path):
        cmd = media_command(name, seconds, path + ".part")
        log(f"making {os.path.basename(path)} (once):", shlex.join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError(f"ffmpeg failed: {r.stderr[-2000:]}")
        os.replace(path + ".part", path)
    info = flv_info(path)
    info["path"] = path
    info["bitrate"], info["probe_duration"] = ffprobe_bitrate(path)
    info["frames"] = count_video_frames(path)
    return info


# ---------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------

class Nginx:
    """A private nginx-rtmp: application "live" (relay), "rec" (relay and
    record every stream to <dir>/rec/<stream>.flv) and an HTTP stat page."""

    def __init__(self, procs, workdir, name="nginx"):
        if not shutil.which("nginx") or not os.path.exists(NGINX_RTMP_MODULE):
            raise HarnessError("nginx and libnginx-mod-rtmp are needed "
                               "(scripts/setup.sh installs them)")
        self.port = free_port()
        self.http_port = free_port()
        self.dir = os.path.join(workdir, name)
        self.rec = os.path.join(self.dir, "rec")
        os.makedirs(self.rec)
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
load_module {NGINX_RTMP_MODULE};
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{self.http_port};
    location /stat {{ rtmp_stat all; }}
  }}
}}
rtmp {{
  server {{
    listen 127.0.0.1:{self.port};
    chunk_size 4096;
    # big keyframes at 50 Mbit/s: the default 1 MB rejects them
    max_message 64M;
    # a slow player (under valgrind) must get every frame: nginx drops
    # frames when a player's queue passes fractions of out_queue
    out_queue 65536;
    application live {{ live on; }}
    application rec {{
      live on;
      record all; record_path {self.rec}; record_unique off;
    }}
  }}
}}
"""
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = procs.start(["nginx", "-p", self.dir, "-c", self.conf],
                                name)
        try:
            wait_until(lambda: listening(self.port) and
                       listening(self.http_port), 15, "nginx", self.proc)
        except RunError as e:
            raise HarnessError(str(e))

    def url(self, app, stream, port=None, scheme="rtmp"):
        return f"{scheme}://127.0.0.1:{port or self.port}/{app}/{stream}"

    def stat(self):
        """{(app, stream): {"publishing": bool, "players": n,
        "dropped": n}}"""
        with socket.create_connection(("127.0.0.1", self.http_port), 5) as s:
            s.sendall(b"GET /stat HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        body = data.split(b"\r\n\r\n", 1)[1]
        out = {}
        root = ET.fromstring(body)
        for app in root.iter("application"):
            aname = app.findtext("name")
            for st in app.iter("stream"):
                clients = st.findall("client")
                pub = [c for c in clients if c.find("publishing") is not None]
                out[(aname, st.findtext("name"))] = dict(
                    publishing=bool(pub),
                    players=len(clients) - len(pub),
                    dropped=sum(int(c.findtext("dropped") or 0)
                                for c in clients if c not in pub))
        return out

    def recording(self, stream):
        return os.path.join(self.rec, f"{stream}.flv")


class Stunnel:
    """TLS (at most 1.2: Debian's librtmp fails its RTMP handshake after a
    TLS 1.3 handshake) in front of nginx, with a self-signed certificate."""

    def __init__(self, procs, workdir, connect_port):
        if not shutil.which("stunnel4") or not shutil.which("openssl"):
            raise HarnessError("stunnel4 and openssl are needed")
        self.port = free_port()
        self.cert = os.path.join(workdir, "tls.crt")
        key = os.path.join(workdir, "tls.key")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", self.cert, "-days", "2",
             "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            capture_output=True, text=True)
        if r.returncode:
            raise HarnessError("openssl req: " + r.stderr)
        conf = os.path.join(workdir, "stunnel.conf")
        with open(conf, "w") as f:
            f.write(f"foreground = yes\npid =\ndebug = 3\n"
                    f"sslVersionMax = TLSv1.2\n[rtmps]\n"
                    f"accept = 127.0.0.1:{self.port}\n"
                    f"connect = 127.0.0.1:{connect_port}\n"
                    f"cert = {self.cert}\nkey = {key}\n")
        self.proc = procs.start(["stunnel4", conf], "stunnel")
        try:
            wait_until(lambda: listening(self.port), 15, "stunnel", self.proc)
        except RunError as e:
            raise HarnessError(str(e))


# ---------------------------------------------------------------------------
# the bench
# ---------------------------------------------------------------------------

def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return dict(median=statistics.median(v), min=min(v), max=max(v), n=len(v))


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        # under the build directory, not /tmp: other sessions' clean-ups of
        # /tmp/rtmpe-* once removed a running benchmark's files
        base = args.workdir or os.path.join(self.build, "bench-work")
        os.makedirs(base, exist_ok=True)
        self.workdir = tempfile.mkdtemp(prefix="run-", dir=base)
        self.procs = Procs(self.workdir)
        self.results = {}      # figure -> key -> metric -> [values]
        self.errors = {}       # (figure, key) -> message
        self.notes = []
        self.meta = {}
        self.stream_n = 0
        self.annotations = {}  # key -> text (callgrind_annotate, ours)
        self.keep_cg = {}      # key -> callgrind out file of the last run
        self.env = dict(os.environ)
        self.env.pop("GST_DEBUG", None)
        self.env.pop("GST_TRACERS", None)
        plugdir = os.path.join(self.build, "ext", "rtmpe")
        self.env["GST_PLUGIN_PATH_1_0"] = plugdir + (
            ":" + self.env["GST_PLUGIN_PATH_1_0"]
            if self.env.get("GST_PLUGIN_PATH_1_0") else "")
        self.env["GST_DEBUG_NO_COLOR"] = "1"

    # ---- bookkeeping -------------------------------------------------------

    def add(self, fig, key, metric, value):
        self.results.setdefault(fig, {}).setdefault(key, {}).setdefault(
            metric, []).append(value)

    def get(self, fig, key, metric):
        return stats(self.results.get(fig, {}).get(key, {}).get(metric, []))

    def fail(self, fig, key, msg):
        first = msg.strip().splitlines()[0] if msg.strip() else "failed"
        log(f"{fig}/{key}: {first}")
        self.errors.setdefault((fig, key), msg)

    def stream(self, prefix):
        self.stream_n += 1
        return f"{prefix}{self.stream_n}"

    def gst_env(self, cand=None):
        env = dict(self.env)
        if cand:
            env.update(cand.get("env") or {})
        return env

    # ---- set-up ------------------------------------------------------------

    def element_exists(self, name):
        # not --exists: it also wants the plugin's version to be at least
        # GStreamer's, and ours is 0.x
        r = subprocess.run(["gst-inspect-1.0", name], env=self.env,
                           capture_output=True)
        return r.returncode == 0

    def setup(self):
        a = self.args
        for tool in ("gst-launch-1.0", "gst-inspect-1.0", "ffmpeg",
                     "ffprobe", "valgrind"):
            if not shutil.which(tool):
                raise HarnessError(f"{tool} is needed "
                                   "(scripts/setup.sh installs it)")
        # one gst-inspect first: a registry rescan after a rebuild must not
        # land in a measured run
        subprocess.run(["gst-inspect-1.0"], env=self.env,
                       capture_output=True)
        self.listen_ok = False
        cands = []
        for c in CANDIDATES:
            c = dict(c)
            c.setdefault("anchor", False)
            c.setdefault("best", False)
            elem = c["frag"].split()[0]
            c["available"] = self.element_exists(elem)
            if c["proto"] == "rtmpe" and c["available"]:
                c["available"] = self.has_listen_mode()
                if not c["available"]:
                    c["why"] = "needs our listen mode (not available)"
            if not c["available"] and "why" not in c:
                c["why"] = f"element {elem} not available"
            cands.append(c)
        self.cands = [c for c in cands if self.selected_cand(c)]
        self.media = {}
        self.media["8M"] = make_media(a.media_dir, "8M", a.dur8)
        if self.want("unpaced") or self.want("play"):
            self.media["50M"] = make_media(a.media_dir, "50M", a.dur50)
        if self.want("listen"):
            self.media["2M"] = make_media(a.media_dir, "2M", a.dur2)
        self.nginx = Nginx(self.procs, self.workdir)
        self.stunnel = None
        if any(c["proto"] == "rtmps" and c["available"] for c in self.cands):
            self.stunnel = Stunnel(self.procs, self.workdir, self.nginx.port)

    def has_listen_mode(self):
        """Whether rtmpesrc mode=listen really listens (the property may
        exist before the mode works): start one and poll for its port."""
        if getattr(self, "_listen_probe", None) is not None:
            return self._listen_probe
        port = free_port()
        p = self.procs.start(self.gst_argv(
            f"rtmpesrc mode=listen location=rtmp://127.0.0.1:{port}/live/"
            f"probe ! fakesink"), "listen-probe", env=self.env)
        try:
            wait_until(lambda: listening(port), 15, "listen probe", p)
            self._listen_probe = True
        except RunError:
            self._listen_probe = False
        finally:
            self.procs.stop(p, (signal.SIGINT,), 5)
        return self._listen_probe

    def want(self, fig):
        return not self.args.figures or fig in self.args.figures

    def selected_cand(self, c):
        a = self.args
        if a.kinds and c["kind"] not in a.kinds:
            return False
        if a.cands and not (c["key"] in a.cands or c["group"] in a.cands or
                            (c["anchor"] and "anchors" in a.cands)):
            return False
        return True

    def sinks(self, protos=("rtmp", "rtmps", "rtmpe")):
        return [c for c in self.cands if c["kind"] == "sink" and
                c["proto"] in protos]

    def srcs(self, protos=("rtmp", "rtmps")):
        return [c for c in self.cands if c["kind"] == "src" and
                c["proto"] in protos]

    # ---- pipelines ---------------------------------------------------------

    def url_for(self, cand, app, stream, listen_port=None):
        if cand["proto"] == "rtmp":
            return self.nginx.url(app, stream)
        if cand["proto"] == "rtmps":
            return self.nginx.url(app, stream, self.stunnel.port, "rtmps")
        return f"rtmpe://127.0.0.1:{listen_port}/{app}/{stream}"

    def fill(self, frag, **kw):
        ca = self.stunnel.cert if self.stunnel else ""
        return frag.format(ca=ca, **kw)

    def sink_pipeline(self, cand, media, url, sync):
        feed = FEEDS[cand["feed"]].format(media=media)
        if cand["group"] == "baseline":
            return f"{feed} ! fakesink sync={sync}"
        return f"{feed} ! {self.fill(cand['frag'], url=url)} sync={sync}"

    def baseline_sink(self, feed):
        """The feed into a fakesink: the same pipeline without the sink."""
        return dict(key=f"baseline-{feed}", kind="sink", feed=feed,
                    group="baseline", anchor=False, best=False,
                    frag="fakesink", proto=None, available=True,
                    label=f"baseline: {feed} feed ! fakesink")

    def baselines_for(self, cands):
        """One baseline per (feed, environment) that the candidates use."""
        seen = {}
        for c in cands:
            env = tuple(sorted((c.get("env") or {}).items()))
            seen.setdefault((c["feed"], env), None)
        out = []
        for feed, env in seen:
            b = self.baseline_sink(feed)
            if env:
                b["env"] = dict(env)
                b["key"] += "-" + "-".join(f"{k}={v}" for k, v in env)
            out.append(b)
        return out

    @staticmethod
    def baseline_key(c):
        env = tuple(sorted((c.get("env") or {}).items()))
        key = f"baseline-{c['feed']}"
        if env:
            key += "-" + "-".join(f"{k}={v}" for k, v in env)
        return key

    def gst_argv(self, pipeline, verbose=False):
        return (["gst-launch-1.0", "-e"] + (["-v"] if verbose else ["-q"]) +
                shlex.split(pipeline))

    # ---- one sink run ------------------------------------------------------

    def start_listen_server(self, stream, out):
        port = free_port()
        pipe = LISTEN_SERVERS["sink"].format(port=port, stream=stream,
                                             out=out)
        p = self.procs.start(self.gst_argv(pipe), "listen-server",
                             env=self.gst_env())
        wait_until(lambda: listening(port), 30, "listen server", p)
        return p, port

    def run_sink(self, cand, media, app, sync, wrap=(), timeout=900,
                 extra_env=None, name=None):
        """Runs one publish to its end. Returns dict(wall, cpu, rss, stored
        path, proc)."""
        stream = self.stream("s")
        server = None
        stored = None
        if cand["group"] == "baseline":
            url = None
        elif cand["proto"] == "rtmpe":
            stored = os.path.join(self.workdir, f"{stream}.flv")
            server, lport = self.start_listen_server(stream, stored)
            url = self.url_for(cand, "live", stream, lport)
        else:
            url = self.url_for(cand, app, stream)
            if app == "rec":
                stored = self.nginx.recording(stream)
        pipe = self.sink_pipeline(cand, media, url, sync)
        env = self.gst_env(cand)
        env.update(extra_env or {})
        p = self.procs.start(list(wrap) + self.gst_argv(pipe),
                             name or cand["key"], env=env, rss=not wrap)
        try:
            if not self.procs.wait(p, timeout):
                raise RunError(f"did not finish in {timeout} s")
            if p.returncode != 0:
                raise RunError(f"exit status {p.returncode}: "
                               f"{tail(p.logpath, 8)}")
            res = dict(wall=p.t_end - p.t_start,
                       cpu=p.rusage.ru_utime + p.rusage.ru_stime,
                       rss=self.procs.peak_rss(p), proc=p, stream=stream)
            if server is not None:
                # the listen server ends at the publisher's end of stream;
                # stop it in order (EOS) if it does not
                if not self.procs.wait(server, 20):
                    self.procs.stop(server, (signal.SIGINT,), 20)
            elif stored and app == "rec":
                # nginx closes the recording when the publisher has gone
                wait_until(lambda: ("rec", stream) not in self.nginx.stat(),
                           30, "nginx to close the stream")
            res["stored"] = stored
            return res
        finally:
            self.procs.stop(p)
            if server is not None:
                self.procs.stop(server, signal.SIGINT)

    # ---- figure 1: instructions per byte -----------------------------------

    def callgrind_argv(self, out, extra=()):
        return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                "--dump-instr=no", *extra]

    @staticmethod
    def callgrind_total(path):
        with open(path) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
        raise RunError(f"no totals in {path}")

    def fig_instr(self):
        m = self.media["8M"]
        nbytes = m["size"]
        sinks = [c for c in self.sinks() if c["available"]]
        srcs = [c for c in self.srcs() if c["available"]]
        if sinks:
            order = self.baselines_for(sinks) + sinks
            for rep in range(self.args.cg_reps):
                for c in order:
                    log(f"instr sink rep {rep + 1}: {c['key']}")
                    out = self.cg_sink(c, m, "ir", f"cg-{c['key']}-{rep}")
                    if out:
                        self.keep_cg[c["key"]] = out
            for c in sinks:
                base = self.get("instr", self.baseline_key(c), "ir")
                for ir in self.results.get("instr", {}).get(
                        c["key"], {}).get("ir", []):
                    if base:
                        self.add("instr", c["key"], "per_byte",
                                 (ir - base["median"]) / nbytes)
            self.instr_marginal(sinks, m)
        if srcs:
            base = dict(key="baseline-src", kind="src", group="baseline",
                        frag=f"filesrc location={m['path']}", proto=None,
                        anchor=False, best=False, available=True,
                        label="baseline: filesrc ! fakesink")
            for rep in range(self.args.cg_reps):
                for c in [base] + srcs:
                    log(f"instr src rep {rep + 1}: {c['key']}")
                    out = os.path.join(self.workdir,
                                       f"cg-{c['key']}-{rep}.out")
                    try:
                        if c is base:
                            p = self.procs.start(
                                self.callgrind_argv(out) + self.gst_argv(
                                    c["frag"] + " ! fakesink sync=false"),
                                "cg-baseline-src", env=self.gst_env())
                            self.procs.wait(p, 600)
                            self.procs.stop(p)
                        else:
                            self.run_src_relay(c, m, wrap=self.callgrind_argv(
                                out), timeout=1800)
                        self.add("instr", c["key"], "ir",
                                 self.callgrind_total(out))
                        self.keep_cg[c["key"]] = out
                    except RunError as e:
                        self.fail("instr", c["key"], str(e))
            b = self.get("instr", "baseline-src", "ir")
            for c in srcs:
                for ir in self.results.get("instr", {}).get(
                        c["key"], {}).get("ir", []):
                    if b:
                        self.add("instr", c["key"], "per_byte",
                                 (ir - b["median"]) / nbytes)
        self.annotate()

    def cg_sink(self, c, media, metric, name):
        """One unpaced publish of media under callgrind: its total
        instruction count goes to metric; returns the callgrind file, or
        None when the run failed (recorded)."""
        out = os.path.join(self.workdir, name + ".out")
        try:
            self.run_sink(c, media["path"], "live", "false",
                          wrap=self.callgrind_argv(out),
                          extra_env=c.get("env"), name=name)
            self.add("instr", c["key"], metric, self.callgrind_total(out))
            return out
        except RunError as e:
            self.fail("instr", c["key"] + ("" if metric == "ir" else
                                           "-" + metric), str(e))
            return None

    def instr_marginal(self, sinks, m):
        """Per byte, without what a connection costs once (the handshake,
        loading a provider): the same sink publishing a short cut of the
        file too; the difference of the two counts over the difference of
        the two sizes. For the RTMPE target: RC4 should be the only
        per-byte work RTMPE adds."""
        keys = ("rtmpesink", "rtmpesink-rtmpe")
        cands = [c for c in sinks if c["key"] in keys]
        if len(cands) < 2:
            return
        secs = max(3, min(6, int(m["duration"] / 5)))
        if m["duration"] < 2 * secs:
            self.notes.append("instr: the 8 Mbit/s file is too short for "
                              "the per-byte (marginal) figure")
            return
        short = make_media(self.args.media_dir, "8M", secs)
        self.media["8M-short"] = short
        for rep in range(self.args.cg_reps):
            for c in cands:
                log(f"instr sink (short file) rep {rep + 1}: {c['key']}")
                self.cg_sink(c, short, "ir_short",
                             f"cg-{c['key']}-short-{rep}")
        for c in cands:
            full = self.get("instr", c["key"], "ir")
            cut = self.get("instr", c["key"], "ir_short")
            if full and cut:
                self.add("instr", c["key"], "marginal",
                         (full["median"] - cut["median"]) /
                         (m["size"] - short["size"]))
                self.add("instr", c["key"], "fixed_m",
                         (full["median"] - (full["median"] - cut["median"]) /
                          (m["size"] - short["size"]) * m["size"]) / 1e6)

    def annotate(self):
        """Top functions (self cost) of our candidates' callgrind runs."""
        if not shutil.which("callgrind_annotate"):
            return
        for key, path in self.keep_cg.items():
            c = next((c for c in self.cands if c["key"] == key), None)
            if not c or (c["group"] != "ours" and not self.args.annotate_all):
                continue
            self.annotations[key] = (
                "self cost:\n" + self.callgrind_top(path, False, None) +
                "\ninclusive, our functions:\n" +
                self.callgrind_top(path, True, OUR_SOURCES))

    @staticmethod
    def callgrind_top(path, inclusive, only, n=12):
        """The top functions of a callgrind file, one line each."""
        r = subprocess.run(["callgrind_annotate",
                            f"--inclusive={'yes' if inclusive else 'no'}",
                            "--threshold=100", path],
                           capture_output=True, text=True)
        out, seen = [], set()
        for ln in r.stdout.splitlines():
            mm = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+)", ln)
            if not mm or "PROGRAM TOTALS" in ln:
                continue
            where = mm.group(3)
            fn = where.rsplit(":", 1)[-1]
            src = where.rsplit(":", 1)[0]
            if only and not re.search(only, where):
                continue
            name = f"{fn} ({os.path.basename(src)})"
            if fn in seen:
                continue
            seen.add(fn)
            out.append(f"{mm.group(1):>14} {mm.group(2):>6}%  {name}")
            if len(out) >= n:
                break
        return "\n".join(out)

    # ---- figure 1b, 1c: copies and syscalls --------------------------------

    def fig_copies(self):
        lib = os.path.join(self.build, "tests", "bench", "libcopycount.so")
        if not os.path.exists(lib):
            self.notes.append(f"copies: {lib} not built (ninja -C build)")
            return
        m = self.media["8M"]
        sinks = [c for c in self.sinks() if c["available"]]
        if not sinks:
            return
        order = self.baselines_for(sinks) + sinks
        for rep in range(self.args.reps):
            for c in order:
                out = os.path.join(self.workdir, f"copies-{c['key']}-{rep}")
                env = dict(c.get("env") or {})
                env.update(LD_PRELOAD=lib, COPYCOUNT_OUT=out)
                log(f"copies rep {rep + 1}: {c['key']}")
                try:
                    self.run_sink(c, m["path"], "live",
                                  "false", extra_env=env,
                                  name="copies-" + c["key"])
                    big = 0
                    with open(out) as f:
                        for line in f:
                            mm = re.search(r"big_bytes=(\d+)", line)
                            big += int(mm.group(1)) if mm else 0
                    self.add("copies", c["key"], "bytes", big)
                except (RunError, OSError) as e:
                    self.fail("copies", c["key"], str(e))
        for c in sinks:
            base = self.get("copies", self.baseline_key(c), "bytes")
            for v in self.results.get("copies", {}).get(c["key"], {}).get(
                    "bytes", []):
                if base:
                    self.add("copies", c["key"], "per_byte",
                             (v - base["median"]) / m["size"])

    SEND_CALLS = ("sendto", "sendmsg", "send", "write", "writev",
                  "sendmmsg")

    def fig_syscalls(self):
        if not shutil.which("strace"):
            self.notes.append("syscalls: strace is not installed")
            return
        m = self.media["8M"]
        sinks = [c for c in self.sinks() if c["available"]]
        if not sinks:
            return
        order = self.baselines_for(sinks) + sinks
        for rep in range(self.args.reps):
            for c in order:
                out = os.path.join(self.workdir, f"strace-{c['key']}-{rep}")
                log(f"syscalls rep {rep + 1}: {c['key']}")
                try:
                    self.run_sink(c, m["path"], "live",
                                  "false",
                                  wrap=["strace", "-f", "-c", "-o", out],
                                  extra_env=c.get("env"),
                                  name="strace-" + c["key"])
                    total, send, per = self.parse_strace(out)
                    self.add("syscalls", c["key"], "total", total)
                    self.add("syscalls", c["key"], "send", send)
                    self.add("syscalls", c["key"], "futex",
                             per.get("futex", 0))
                except (RunError, OSError) as e:
                    self.fail("syscalls", c["key"], str(e))
        for c in sinks:
            base = {k: self.get("syscalls", self.baseline_key(c), k)
                    for k in ("total", "send", "futex")}
            r = self.results.get("syscalls", {}).get(c["key"], {})
            for k in ("total", "send", "futex"):
                for v in r.get(k, []):
                    if base[k]:
                        self.add("syscalls", c["key"], k + "_per_mb",
                                 (v - base[k]["median"]) / (m["size"] / MB))

    @classmethod
    def parse_strace(cls, path):
        per = {}
        total = 0
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and re.match(r"^[\d.]+$", parts[0]):
                    name = parts[-1]
                    calls = int(parts[3])
                    if name == "total":
                        total = calls
                    else:
                        per[name] = calls
        send = sum(per.get(k, 0) for k in cls.SEND_CALLS)
        return total, send, per

    # ---- figure 2: unpaced publish -----------------------------------------

    def fig_unpaced(self):
        m = self.media["50M"]
        sinks = [c for c in self.sinks() if c["available"]]
        if not sinks:
            return
        order = self.baselines_for(
            [dict(c, env=None) for c in sinks]) + sinks
        for rep in range(self.args.reps):
            for c in order:
                log(f"unpaced rep {rep + 1}: {c['key']}")
                try:
                    r = self.run_sink(c, m["path"],
                                      "rec", "false",
                                      name="unpaced-" + c["key"])
                    self.add("unpaced", c["key"], "wall", r["wall"])
                    self.add("unpaced", c["key"], "cpu", r["cpu"])
                    self.add("unpaced", c["key"], "rss", r["rss"])
                    if r.get("stored"):
                        n = (count_video_frames(r["stored"])
                             if os.path.exists(r["stored"]) else 0)
                        self.add("unpaced", c["key"], "frames", n)
                        with contextlib.suppress(OSError):
                            os.unlink(r["stored"])
                except RunError as e:
                    self.fail("unpaced", c["key"], str(e))

    # ---- figure 3: real-time CPU -------------------------------------------

    def window_cpu(self, p, warmup, window, since=None):
        """CPU % of one core of p over [warmup, warmup + window] after its
        start, or after `since` (a measurement window, not a readiness
        wait), and its threads' context switches per second over the same
        window."""
        t0 = (since if since is not None else p.t_start) + warmup
        pid = self.procs.target_pid(p)
        while time.monotonic() < t0:
            if p.done.is_set():
                raise RunError(f"exited early ({p.returncode}): "
                               f"{tail(p.logpath, 8)}")
            time.sleep(0.05)
        c0, s0, w0 = proc_cpu_ns(pid), proc_switches(pid), time.monotonic()
        while time.monotonic() < t0 + window:
            if crashed(p):
                raise RunError(f"crashed: {tail(p.logpath, 6)}")
            if p.done.is_set():
                raise RunError(f"exited early ({p.returncode}): "
                               f"{tail(p.logpath, 8)}")
            time.sleep(0.05)
        c1, s1, w1 = proc_cpu_ns(pid), proc_switches(pid), time.monotonic()
        if None in (c0, c1, s0, s1):
            raise RunError("process vanished")
        return 100.0 * (c1 - c0) / 1e9 / (w1 - w0), (s1 - s0) / (w1 - w0)

    def live_publisher(self):
        """A looping real-time publisher (ffmpeg -re) of the 8 Mbit/s file
        on live/rt, for the players of figures 3 and 4."""
        if getattr(self, "_live", None) and not self._live.done.is_set():
            return self._live_stream
        stream = self.stream("rt")
        p = self.procs.start(
            ["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i",
             self.media["8M"]["path"], "-c", "copy", "-f", "flv",
             self.nginx.url("live", stream)], "live-publisher")
        wait_until(lambda: self.nginx.stat().get(("live", stream), {}).get(
            "publishing"), 30, "live publisher", p)
        self._live, self._live_stream = p, stream
        return stream

    def fig_realtime(self):
        a = self.args
        m = self.media["8M"]
        if m["duration"] < a.warmup + a.window + 1:
            self.notes.append("realtime: the 8 Mbit/s file is shorter than "
                              "warm-up + window; window shortened")
        window = min(a.window, max(1.0, m["duration"] - a.warmup - 1))
        sinks = [c for c in self.sinks() if c["available"] and
                 c["feed"] == "tags"]
        srcs = [c for c in self.srcs() if c["available"]]
        base = self.baseline_sink("tags")
        for rep in range(a.reps):
            for c in ([base] + sinks if sinks else []):
                log(f"realtime publish rep {rep + 1}: {c['key']}")
                is_base = c["group"] == "baseline"
                stream = self.stream("p")
                server = None
                try:
                    if is_base:
                        url = None
                    elif c["proto"] == "rtmpe":
                        out = os.path.join(self.workdir, f"{stream}.flv")
                        server, lport = self.start_listen_server(stream, out)
                        url = self.url_for(c, "live", stream, lport)
                    else:
                        url = self.url_for(c, "live", stream)
                    pipe = self.sink_pipeline(c, m["path"], url, "true")
                    p = self.procs.start(self.gst_argv(pipe),
                                         "rt-" + c["key"],
                                         env=self.gst_env(c), rss=True)
                    try:
                        pct, switches = self.window_cpu(p, a.warmup, window)
                        self.add("realtime", c["key"], "cpu_pct", pct)
                        self.add("realtime", c["key"], "switches", switches)
                        self.procs.stop(p, signal.SIGINT, 10)
                        self.add("realtime", c["key"], "rss",
                                 self.procs.peak_rss(p))
                    finally:
                        self.procs.stop(p)
                except RunError as e:
                    self.fail("realtime", c["key"], str(e))
                finally:
                    if server is not None:
                        self.procs.stop(server, signal.SIGINT)
            if srcs:
                stream = self.live_publisher()
            for c in srcs:
                log(f"realtime play rep {rep + 1}: {c['key']}")
                try:
                    url = self.url_for(c, "live", stream)
                    pipe = self.fill(c["frag"], url=url) + \
                        " ! fakesink sync=false"
                    p = self.procs.start(self.gst_argv(pipe),
                                         "rt-" + c["key"],
                                         env=self.gst_env(c), rss=True)
                    try:
                        pct, switches = self.window_cpu(p, a.warmup, window)
                        self.add("realtime", c["key"], "cpu_pct", pct)
                        self.add("realtime", c["key"], "switches", switches)
                        self.procs.stop(p, signal.SIGINT, 10)
                        self.add("realtime", c["key"], "rss",
                                 self.procs.peak_rss(p))
                    finally:
                        self.procs.stop(p)
                except RunError as e:
                    self.fail("realtime", c["key"], str(e))
        for c in sinks:
            b = self.get("realtime", base["key"], "cpu_pct")
            for v in self.results.get("realtime", {}).get(c["key"], {}).get(
                    "cpu_pct", []):
                if b:
                    self.add("realtime", c["key"], "net_pct",
                             v - b["median"])

    # ---- figure 4: start to first buffer -----------------------------------

    def first_buffer(self, pipeline, env, name, timeout=30):
        """Seconds from process start to the first buffer in fakesink
        (its last-message, printed by gst-launch -v)."""
        argv = self.gst_argv(pipeline + " ! fakesink sync=false silent=false",
                             verbose=True)
        p = self.procs.start(argv, name, env=env, stdout=subprocess.PIPE)
        t = None
        result = {}

        def reader():
            for line in p.stdout:
                # a live source's first buffer is a "chain", a non-live
                # one's (rtmp2src) a "preroll"
                if re.search(rb"last-message = (chain|preroll) ", line):
                    result["t"] = time.monotonic()
                    return

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        th.join(timeout)
        t = result.get("t")
        self.procs.stop(p)
        with contextlib.suppress(Exception):
            p.stdout.close()
        if t is None:
            raise RunError(f"no buffer in {timeout} s: {tail(p.logpath, 8)}")
        return t - p.t_start

    def fig_startup(self):
        srcs = [c for c in self.srcs() if c["available"]]
        if not srcs:
            return
        stream = self.live_publisher()
        for rep in range(self.args.startup_reps):
            log(f"startup rep {rep + 1}")
            try:
                self.add("startup", "baseline", "s", self.first_buffer(
                    STARTUP_BASELINE, self.gst_env(), "startup-baseline"))
            except RunError as e:
                self.fail("startup", "baseline", str(e))
            for c in srcs:
                try:
                    url = self.url_for(c, "live", stream)
                    self.add("startup", c["key"], "s", self.first_buffer(
                        self.fill(c["frag"], url=url), self.gst_env(c),
                        "startup-" + c["key"]))
                except RunError as e:
                    self.fail("startup", c["key"], str(e))
        b = self.get("startup", "baseline", "s")
        for c in srcs:
            for v in self.results.get("startup", {}).get(c["key"], {}).get(
                    "s", []):
                if b:
                    self.add("startup", c["key"], "net", v - b["median"])

    # ---- figure 5: play throughput (and the src half of figure 1) ----------

    def run_src_relay(self, cand, media, wrap=(), timeout=600):
        """The player connects to live/<stream> first; then ffmpeg
        publishes the file unpaced; the run is complete when every socket
        of the relay is drained (both queues empty) and the player has
        received at least the file's audio and video payload. Returns
        dict(wall from publish start, cpu, rss, bytes, dropped)."""
        stream = self.stream("v")
        url = self.url_for(cand, "live", stream)
        pipe = self.fill(cand["frag"], url=url) + " ! fakesink sync=false"
        p = self.procs.start(list(wrap) + self.gst_argv(pipe),
                             "play-" + cand["key"], env=self.gst_env(cand),
                             rss=not wrap)
        pub = None
        try:
            pid = self.procs.target_pid(p)
            wait_until(lambda: self.nginx.stat().get(("live", stream), {})
                       .get("players", 0) >= 1, 300, "player to join", p,
                       interval=0.05)
            ports = {self.nginx.port}
            if self.stunnel:
                ports.add(self.stunnel.port)
            pub = self.procs.start(
                ["ffmpeg", "-v", "error", "-i", media["path"], "-c", "copy",
                 "-f", "flv", self.nginx.url("live", stream)], "publisher")
            t_pub = pub.t_start
            need = media["av_payload"]
            state = dict(quiet=0, t_quiet=None, got=0, dropped=0)

            def complete():
                if p.done.is_set():
                    return "exited"
                if crashed(p):
                    raise RunError(f"player crashed: {tail(p.logpath, 6)}")
                if not pub.done.is_set():
                    return False
                inodes = socket_inodes(pid)
                socks = [s for s in tcp_sockets() if s["state"] == 1 and
                         (s["sport"] in ports or s["dport"] in ports)]
                got = sum(s["bytes_received"] or 0 for s in socks
                          if s["inode"] in inodes)
                state["got"] = max(state["got"], got)
                drained = all(s["rq"] == 0 and s["wq"] == 0 for s in socks)
                if got >= need and drained:
                    if state["quiet"] == 0:
                        state["t_quiet"] = time.monotonic()
                    state["quiet"] += 1
                    if state["quiet"] >= 3:
                        return "drained"
                else:
                    state["quiet"] = 0
                return False

            how = wait_until(complete, timeout, "player to get the stream",
                             interval=0.005)
            t_done = p.t_end if how == "exited" else state["t_quiet"]
            if how == "exited" and p.returncode not in (0, None):
                raise RunError(f"player exit status {p.returncode}: "
                               f"{tail(p.logpath, 8)}")
            if how != "exited":
                st = self.nginx.stat().get(("live", stream), {})
                state["dropped"] = st.get("dropped", 0)
                # end it: EOS first (gst-launch -e), then harder
                self.procs.stop(p, (signal.SIGINT, signal.SIGTERM),
                                grace=15)
            else:
                self.procs.wait(p, 5)
            if p.rusage is None:
                raise RunError("no rusage")
            return dict(wall=t_done - t_pub,
                        cpu=p.rusage.ru_utime + p.rusage.ru_stime,
                        rss=self.procs.peak_rss(p),
                        got=state["got"], dropped=state["dropped"])
        finally:
            self.procs.stop(p)
            if pub is not None:
                self.procs.stop(pub)

    def fig_play(self):
        m = self.media["50M"]
        srcs = [c for c in self.srcs() if c["available"]]
        for rep in range(self.args.reps):
            for c in srcs:
                log(f"play rep {rep + 1}: {c['key']}")
                try:
                    r = self.run_src_relay(c, m)
                    self.add("play", c["key"], "wall", r["wall"])
                    self.add("play", c["key"], "mbps", m["size"] / MB /
                             r["wall"])
                    self.add("play", c["key"], "cpu_per_100mb",
                             r["cpu"] * 100 * MB / m["size"])
                    self.add("play", c["key"], "rss", r["rss"])
                    self.add("play", c["key"], "dropped", r["dropped"])
                except RunError as e:
                    self.fail("play", c["key"], str(e))

    # ---- figure 6: listen mode ---------------------------------------------

    def fig_listen(self):
        """n real-time publishers (ffmpeg -re, looping the 2 Mbit/s file)
        into one server; the server's CPU over a window, per stream."""
        a = self.args
        n = a.listen_streams
        media = self.media["2M"]
        servers = [("nginx-rtmp", None)]
        if LISTEN_SERVERS["ingest"] and self.has_listen_mode():
            servers.append(("rtmpesrc-listen", LISTEN_SERVERS["ingest"]))
        else:
            self.notes.append(
                "listen (6): rtmpesrc mode=listen NOT YET MEASURED: our "
                "listen mode is not on main yet (the nginx-rtmp half of the "
                "figure is measured; LISTEN_SERVERS['ingest'] is the slot)")
        for rep in range(a.reps):
            for key, template in servers:
                log(f"listen rep {rep + 1}: {key}, {n} publishers")
                pubs = []
                server = None
                try:
                    if template is None:
                        ng = Nginx(self.procs, self.workdir,
                                   self.stream("nginx-ingest"))
                        server, port = ng.proc, ng.port
                        ports = [port] * n
                    else:
                        ports = []
                        while len(ports) < n:
                            q = free_port()
                            if q not in ports:
                                ports.append(q)
                        server = self.procs.start(self.gst_argv(" ".join(
                            template.format(port=q, i=i)
                            for i, q in enumerate(ports))), key,
                            env=self.gst_env())
                        wait_until(lambda: all(listening(q) for q in ports),
                                   60, key, server)
                    for i in range(n):
                        pubs.append(self.procs.start(
                            ["ffmpeg", "-v", "error", "-re", "-stream_loop",
                             "-1", "-i", media["path"], "-c", "copy", "-f",
                             "flv", f"rtmp://127.0.0.1:{ports[i]}/live/in{i}"],
                            f"ingest-pub{i}"))
                    if template is None:
                        wait_until(lambda: sum(
                            1 for (app, _), v in ng.stat().items()
                            if app == "live" and v["publishing"]) >= n,
                            120, "all publishers", server, interval=0.1)
                    else:
                        # every publisher has an established connection
                        wait_until(lambda: sum(
                            1 for sk in tcp_sockets()
                            if sk["state"] == 1 and sk["dport"] in ports)
                            >= n,
                            120, "all publishers", server, interval=0.1)
                    dead = [q for q in pubs if q.done.is_set()]
                    if dead:
                        raise RunError(f"{len(dead)} publishers exited: "
                                       f"{tail(dead[0].logpath, 5)}")
                    pct, _ = self.window_cpu(server, a.warmup, a.window,
                                             since=time.monotonic())
                    self.add("listen", key, "cpu_pct", pct)
                    self.add("listen", key, "per_stream", pct / n)
                except RunError as e:
                    self.fail("listen", key, str(e))
                finally:
                    for q in pubs:
                        self.procs.stop(q)
                    if server is not None:
                        self.procs.stop(server, (signal.SIGINT,
                                                 signal.SIGTERM))

    # ---- figure 7: RC4 -----------------------------------------------------

    def fig_rc4(self):
        bench = os.path.join(self.build, "tests", "bench", "rc4-bench")
        script = os.path.join(ROOT, "tests", "bench", "rc4-bench.sh")
        if not os.path.exists(bench):
            self.notes.append(f"rc4: {bench} not built")
            return
        for rep in range(self.args.reps):
            log(f"rc4 rep {rep + 1}")
            r = subprocess.run(["sh", script, self.build,
                                str(self.args.rc4_seconds)],
                               capture_output=True, text=True)
            ours = re.search(r"rc4-bench: ([\d.]+) MB/s user-CPU", r.stdout)
            ossl = re.search(r"rc4 \(65536-byte blocks\): ([\d.]+) MB/s",
                             r.stdout)
            if not ours or not ossl or float(ossl.group(1)) == 0:
                self.fail("rc4", "rtmpe-rc4", r.stdout + r.stderr)
                continue
            self.add("rc4", "rtmpe-rc4", "mbs", float(ours.group(1)))
            self.add("rc4", "openssl", "mbs", float(ossl.group(1)))
        # instructions per byte of rtmpe_rc4_process under callgrind
        out = os.path.join(self.workdir, "cg-rc4.out")
        r = subprocess.run(self.callgrind_argv(
            out, ["--toggle-collect=rtmpe_rc4_process"]) +
            [bench, "0.5", "65536"], capture_output=True, text=True)
        mm = re.search(r"\((\d+) bytes", r.stdout)
        if r.returncode == 0 and mm and os.path.exists(out):
            self.add("rc4", "rtmpe-rc4", "per_byte",
                     self.callgrind_total(out) / int(mm.group(1)))
        else:
            self.fail("rc4", "callgrind", r.stdout + r.stderr[-2000:])

    # ---- run ---------------------------------------------------------------

    def run(self):
        self.collect_meta()
        self.setup()
        for c in self.cands:
            if not c["available"]:
                self.notes.append(f"{c['key']}: not measured: {c['why']}")
        figs = [("instr", self.fig_instr), ("copies", self.fig_copies),
                ("syscalls", self.fig_syscalls),
                ("unpaced", self.fig_unpaced),
                ("realtime", self.fig_realtime),
                ("startup", self.fig_startup), ("play", self.fig_play),
                ("listen", self.fig_listen), ("rc4", self.fig_rc4)]
        t0 = time.monotonic()
        for name, fn in figs:
            if self.want(name):
                log(f"== {FIGURES[name]}")
                t = time.monotonic()
                fn()
                self.meta.setdefault("seconds", {})[name] = round(
                    time.monotonic() - t, 1)
                self.save_json()
        self.meta["total_seconds"] = round(time.monotonic() - t0, 1)

    def save_json(self):
        """The raw results so far (written after every figure)."""
        if not self.args.json:
            return
        with open(self.args.json + ".part", "w") as f:
            json.dump(dict(meta=self.meta, media=self.media,
                           results=self.results,
                           errors={f"{k[0]}/{k[1]}": v
                                   for k, v in self.errors.items()},
                           notes=self.notes,
                           candidates=getattr(self, "cands", [])), f,
                      indent=1, default=str)
        os.replace(self.args.json + ".part", self.args.json)

    def collect_meta(self):
        def sh(cmd):
            r = subprocess.run(cmd, capture_output=True, text=True,
                               shell=isinstance(cmd, str))
            return r.stdout.strip()

        cpu = ""
        with contextlib.suppress(OSError):
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        pkgs = ["libgstreamer1.0-0", "gstreamer1.0-plugins-bad",
                "gstreamer1.0-plugins-good", "nginx", "libnginx-mod-rtmp",
                "librtmp1", "ffmpeg", "valgrind", "openssl", "stunnel4"]
        versions = sh(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"]
                      + pkgs)
        self.meta.update(
            date=datetime.datetime.now().astimezone().isoformat(
                timespec="seconds"),
            host=platform.node(), nproc=os.cpu_count(), cpu=cpu,
            kernel=platform.release(), versions=versions,
            git=sh(["git", "-C", ROOT, "describe", "--always", "--dirty"]),
            command=" ".join(shlex.quote(a) for a in sys.argv),
            load=os.getloadavg())

    def cleanup(self):
        self.procs.cleanup()
        if self.args.keep:
            log("kept", self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def cell(s, spec, scale=1.0):
    """'median (min–max)'"""
    if not s:
        return "n/a"
    if s["n"] == 1:
        return format(s["median"] * scale, spec)
    return (f"{format(s['median'] * scale, spec)} "
            f"({format(s['min'] * scale, spec)}–"
            f"{format(s['max'] * scale, spec)})")


def ratio(a, b):
    """a over b, medians; None when b is not a positive figure (a net
    figure at or below zero is noise, not a reference)."""
    if not a or not b or b["median"] <= 0:
        return None
    return a["median"] / b["median"]


class Report:
    def __init__(self, bench):
        self.b = bench
        self.lines = []
        self.targets = []

    def cand(self, key):
        return next((c for c in self.b.cands if c["key"] == key), None)

    def label(self, key):
        c = self.cand(key)
        return c["label"] if c else key

    def table(self, title, header, rows):
        if not rows:
            return
        self.lines.append(f"\n### {title}\n")
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join(" --- " for _ in header) + "|")
        for r in rows:
            self.lines.append("| " + " | ".join(str(x) for x in r) + " |")

    def best_anchor(self, fig, metric, kind, proto="rtmp", lower=True,
                    keys=None):
        """The anchor at its best setting with the best median."""
        best = None
        for c in self.b.cands:
            if not c["anchor"] or c["kind"] != kind or c["proto"] != proto:
                continue
            if keys and c["key"] not in keys:
                continue
            s = self.b.get(fig, c["key"], metric)
            if s and (best is None or
                      (s["median"] < best[1]["median"]) == lower):
                best = (c["key"], s)
        return best

    def rows_for(self, fig, kind, metrics, ref):
        rows = []
        for c in self.b.cands:
            if c["kind"] != kind:
                continue
            if not c["available"]:
                rows.append([c["label"], *(["not available"] +
                             [""] * (len(metrics))), ])
                continue
            err = self.b.errors.get((fig, c["key"]))
            if not err and c["key"] not in self.b.results.get(fig, {}):
                continue            # not part of this figure (e.g. raw feed)
            vals = []
            for metric, spec, scale in metrics:
                vals.append(cell(self.b.get(fig, c["key"], metric), spec,
                                 scale))
            r = ratio(self.b.get(fig, c["key"], metrics[0][0]),
                      ref[1] if ref else None)
            vals.append(fmt(r, ".2f") + "x" if r is not None else
                        ("error: " + err.strip().splitlines()[0][:60]
                         if err else "n/a"))
            rows.append([c["label"] + (" *" if c["anchor"] else "")] + vals)
        return rows

    def build(self):
        b = self.b
        m = b.meta
        L = self.lines
        L.append(f"## Results of {m['date']}\n")
        L.append(f"- machine: {m['nproc']} cores, {m['cpu']}, Linux "
                 f"{m['kernel']}, load average at start "
                 f"{', '.join(f'{x:.2f}' for x in m['load'])}")
        L.append(f"- tree: {m['git']}")
        L.append(f"- command: `{m['command']}`")
        L.append("- versions: " + "; ".join(
            m["versions"].splitlines()))
        for name, info in b.media.items():
            L.append(f"- media {name}: `{os.path.basename(info['path'])}` "
                     f"{info['size'] / MB:.1f} MB, {info['duration']:.1f} s, "
                     f"{info['bitrate'] / 1e6:.1f} Mbit/s (ffprobe), "
                     f"{info['frames']} video frames, {info['video']} video "
                     f"+ {info['audio']} audio tags")
        L.append("- `*` marks the anchors; ratios are ours (or any row) "
                 "over the best anchor named under each table")
        L.append(f"- run time: {m.get('total_seconds', 0):.0f} s "
                 f"({', '.join(f'{k} {v:.0f} s' for k, v in m.get('seconds', {}).items())})")

        if "instr" in b.results:
            for kind in ("sink", "src"):
                ref = self.best_anchor("instr", "per_byte", kind)
                self.table(
                    f"(1) instructions per byte attributable to the {kind} "
                    f"(callgrind, 8 Mbit/s file; minus the same pipeline "
                    f"with fakesink/filesrc)",
                    ["candidate", "instr/byte", "total Ir (M)",
                     f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                    self.rows_for("instr", kind,
                                  [("per_byte", ".2f", 1),
                                   ("ir", ".0f", 1e-6)], ref))
            base = [(k, v) for k, v in b.results["instr"].items()
                    if k.startswith("baseline")]
            L.append("\nbaselines (total Ir, M): " + ", ".join(
                f"{k} {cell(stats(v['ir']), '.1f', 1e-6)}" for k, v in base))
            marg = [(k, v) for k, v in b.results["instr"].items()
                    if v.get("marginal")]
            if marg:
                L.append("\nper byte without what a connection costs once "
                         "(the full file's count minus a short cut's, over "
                         "the difference in size; not minus the feed): " +
                         ", ".join(
                             f"{self.label(k)} "
                             f"{cell(stats(v['marginal']), '.2f')} "
                             f"instr/byte, set-up "
                             f"{cell(stats(v['fixed_m']), '.1f')} M"
                             for k, v in marg))
        if "copies" in b.results:
            ref = self.best_anchor("copies", "per_byte", "sink")
            self.table("(1b) user-space copies per byte published (bytes "
                       "copied by memcpy/memmove ≥ 64 B, minus the feed's "
                       "own, over the file size)",
                       ["candidate", "copies/byte",
                        f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("copies", "sink",
                                     [("per_byte", ".2f", 1)], ref))
        if "syscalls" in b.results:
            ref = self.best_anchor("syscalls", "total_per_mb", "sink",
                                   keys=("rtmp2sink",))
            self.table("(1c) syscalls per MB published (strace -c -f, "
                       "8 Mbit/s file, minus the feed's own; futex calls "
                       "are included and vary from run to run)",
                       ["candidate", "syscalls/MB", "send+write/MB",
                        f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("syscalls", "sink",
                                     [("total_per_mb", ".0f", 1),
                                      ("send_per_mb", ".0f", 1)], ref))
        if "unpaced" in b.results:
            ref = self.best_anchor("unpaced", "wall", "sink",
                                   keys=("rtmp2sink", "rtmp2sink-64k"))
            frames = b.media.get("50M", {}).get("frames")
            self.table(f"(2) unpaced publish of the 50 Mbit/s file "
                       f"(sync=false); frames stored by nginx of {frames}",
                       ["candidate", "wall s", "CPU s", "frames stored",
                        f"wall ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("unpaced", "sink",
                                     [("wall", ".2f", 1), ("cpu", ".2f", 1),
                                      ("frames", ".0f", 1)], ref))
            base = [(k, v) for k, v in b.results["unpaced"].items()
                    if k.startswith("baseline")]
            L.append("\nbaselines (feed ! fakesink): " + ", ".join(
                f"{k}: wall {cell(stats(v['wall']), '.2f')} s, CPU "
                f"{cell(stats(v['cpu']), '.2f')} s" for k, v in base))
        if "realtime" in b.results:
            ref = self.best_anchor("realtime", "net_pct", "sink")
            self.table("(3a) CPU % of one core, publishing one real-time "
                       "8 Mbit/s stream (net: minus the paced feed into "
                       "fakesink)",
                       ["candidate", "net CPU %", "gross CPU %",
                        f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("realtime", "sink",
                                     [("net_pct", ".2f", 1),
                                      ("cpu_pct", ".2f", 1)], ref))
            bs = b.get("realtime", "baseline-tags", "cpu_pct")
            L.append(f"\nbaseline (paced feed ! fakesink): "
                     f"{cell(bs, '.2f')} %")
            ref = self.best_anchor("realtime", "cpu_pct", "src")
            self.table("(3b) CPU % of one core, playing one real-time "
                       "8 Mbit/s stream (src ! fakesink)",
                       ["candidate", "CPU %", "context switches/s",
                        f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("realtime", "src",
                                     [("cpu_pct", ".2f", 1),
                                      ("switches", ".0f", 1)], ref))
        if "startup" in b.results:
            ref = self.best_anchor("startup", "net", "src",
                                   keys=("rtmp2src",))
            self.table("(4) process start to first buffer of a live stream "
                       "(net: minus GStreamer's own start-up to a "
                       "videotestsrc buffer)",
                       ["candidate", "net ms", "gross ms",
                        f"ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("startup", "src",
                                     [("net", ".0f", 1000),
                                      ("s", ".0f", 1000)], ref))
            L.append("\nGStreamer's start-up (videotestsrc is-live=true ! "
                     "fakesink): "
                     f"{cell(b.get('startup', 'baseline', 's'), '.0f', 1000)}"
                     " ms")
        if "play" in b.results:
            ref = self.best_anchor("play", "cpu_per_100mb", "src")
            self.table("(5) play: live relay of the 50 Mbit/s file, "
                       "published unpaced by ffmpeg (wall from publish start "
                       "to the last byte read)",
                       ["candidate", "CPU s / 100 MB", "MB/s", "wall s",
                        "frames dropped by nginx",
                        f"CPU ratio to {self.label(ref[0]) if ref else 'n/a'}"],
                       self.rows_for("play", "src",
                                     [("cpu_per_100mb", ".3f", 1),
                                      ("mbps", ".0f", 1), ("wall", ".2f", 1),
                                      ("dropped", ".0f", 1)], ref))
        if b.want("listen"):
            n = b.args.listen_streams
            ng = b.get("listen", "nginx-rtmp", "per_stream")
            rows = []
            for key, label in (("rtmpesrc-listen", "rtmpesrc mode=listen"),
                               ("nginx-rtmp", "nginx-rtmp *")):
                s_ = b.get("listen", key, "per_stream")
                err = b.errors.get(("listen", key))
                if s_:
                    r = ratio(s_, ng)
                    rows.append([label, cell(s_, ".3f"),
                                 cell(b.get("listen", key, "cpu_pct"), ".1f"),
                                 fmt(r, ".2f") + "x" if r else "n/a"])
                elif err:
                    rows.append([label, "error: " +
                                 err.strip().splitlines()[0][:60], "", ""])
                else:
                    rows.append([label, "NOT YET MEASURED (our listen mode "
                                 "is not on main)", "", ""])
            self.table(f"(6) listen mode: server CPU per ingested stream, "
                       f"{n} real-time 2 Mbit/s publishers (ffmpeg -re)",
                       ["server", "CPU % of a core per stream",
                        "CPU % total", "ratio to nginx-rtmp"], rows)
        if "rc4" in b.results:
            o = b.get("rc4", "openssl", "mbs")
            rows = [["RtmpeRc4 (rc4-bench, 64 KiB)",
                     cell(b.get("rc4", "rtmpe-rc4", "mbs"), ".0f"),
                     cell(b.get("rc4", "rtmpe-rc4", "per_byte"), ".2f"),
                     fmt(ratio(b.get("rc4", "rtmpe-rc4", "mbs"), o), ".2f")
                     + "x"],
                    ["openssl speed -evp rc4 (legacy) *", cell(o, ".0f"),
                     "", "1.00x"]]
            self.table("(7) RC4: MB/s of user CPU (tests/bench/rc4-bench.sh)"
                       " and instructions per byte under callgrind",
                       ["", "MB/s", "instr/byte", "ratio"], rows)
        if b.want("rss"):
            rows = []
            for c in b.cands:
                if not c["available"]:
                    continue
                vals = [cell(b.get(f, c["key"], "rss"), ".1f", 1 / MB)
                        for f in ("unpaced", "realtime", "play")]
                if any(v != "n/a" for v in vals):
                    rows.append([c["label"] + (" *" if c["anchor"] else "")]
                                + vals)
            if rows:
                self.table("(8) peak RSS, MB (ru_maxrss of the gst-launch "
                           "process)",
                           ["candidate", "unpaced 50 Mbit/s publish",
                            "real-time 8 Mbit/s", "play 50 Mbit/s relay"],
                           rows)
        self.check_targets()
        if self.targets:
            self.table("Targets (ours against the anchors, same run)",
                       ["target", "measured", "verdict"], self.targets)
        if b.notes:
            L.append("\nNotes:")
            L.extend(f"- {n}" for n in b.notes)
        errs = [(f, k, e) for (f, k), e in b.errors.items()]
        if errs:
            L.append("\nFailed runs:")
            for f, k, e in errs:
                L.append(f"- {f}/{k}: " + " ".join(e.split())[:300])
        if b.annotations:
            L.append("\nWhere our instructions go (callgrind_annotate, "
                     "self cost, top functions):")
            for k, text in b.annotations.items():
                L.append(f"\n{self.label(k)}:\n```\n{text}\n```")
        return "\n".join(L) + "\n"

    def target(self, name, measured, ok):
        self.targets.append([name, measured, "n/a" if ok is None else
                             ("met" if ok else "MISSED")])

    def check_targets(self):
        b = self.b
        g = b.get

        def ours(key):
            c = self.cand(key)
            return c and c["available"]

        if ours("rtmpesink") and "instr" in b.results:
            # same feed on both sides
            for key, akeys in (("rtmpesink", ("rtmp2sink-64k",
                                              "rtmpsink-quiet")),
                               ("rtmpesink-raw64k", ("rtmpsink-quiet-raw",))):
                ref = self.best_anchor("instr", "per_byte", "sink",
                                       keys=akeys)
                s = g("instr", key, "per_byte")
                r = ratio(s, ref[1] if ref else None)
                if s:
                    self.target(f"{self.label(key)}: instr/byte ≤ 0.5x best "
                                f"anchor at its best",
                                f"{s['median']:.2f} vs "
                                f"{fmt(ref and ref[1]['median'], '.2f')} "
                                f"({self.label(ref[0]) if ref else ''}) = "
                                f"{fmt(r, '.2f')}x",
                                r <= 0.5 if r is not None else None)
            s = g("instr", "rtmpesink", "per_byte")
            rc4 = g("rc4", "rtmpe-rc4", "per_byte")
            e = g("instr", "rtmpesink-rtmpe", "per_byte")
            if e and s and rc4:
                lim = s["median"] + rc4["median"]
                self.target("RTMPE instr/byte ≤ plain + RC4 alone "
                            "(whole file, connection set-up included)",
                            f"{e['median']:.2f} vs {s['median']:.2f} + "
                            f"{rc4['median']:.2f} = {lim:.2f}",
                            e["median"] <= lim)
            s = g("instr", "rtmpesink", "marginal")
            e = g("instr", "rtmpesink-rtmpe", "marginal")
            if e and s and rc4:
                lim = s["median"] + rc4["median"]
                self.target("RTMPE instr/byte ≤ plain + RC4 alone "
                            "(per byte: full file minus a short cut)",
                            f"{e['median']:.2f} vs {s['median']:.2f} + "
                            f"{rc4['median']:.2f} = {lim:.2f}",
                            e["median"] <= lim)
        if ours("rtmpesink") and "copies" in b.results:
            for key in ("rtmpesink", "rtmpesink-raw", "rtmpesink-raw64k"):
                s = g("copies", key, "per_byte")
                if s:
                    self.target(f"{self.label(key)}: ≤ 1 user-space copy "
                                f"per byte", f"{s['median']:.2f}",
                                s["median"] <= 1.0)
        if ours("rtmpesink") and "syscalls" in b.results:
            a = g("syscalls", "rtmp2sink", "total_per_mb")
            for key in ("rtmpesink", "rtmpesink-raw", "rtmpesink-raw64k"):
                s = g("syscalls", key, "total_per_mb")
                if s:
                    self.target(f"{self.label(key)}: syscalls/MB ≤ "
                                f"rtmp2sink's",
                                f"{s['median']:.0f} vs "
                                f"{fmt(a and a['median'], '.0f')}",
                                s["median"] <= a["median"] if a else None)
        if ours("rtmpesink") and "unpaced" in b.results:
            ref = self.best_anchor("unpaced", "wall", "sink",
                                   keys=("rtmp2sink", "rtmp2sink-64k"))
            for key in ("rtmpesink", "rtmpesink-raw", "rtmpesink-raw64k"):
                s = g("unpaced", key, "wall")
                r = ratio(s, ref[1] if ref else None)
                if s:
                    self.target(f"{self.label(key)}: unpaced wall ≤ 0.5x "
                                f"rtmp2sink's",
                                f"{s['median']:.2f} s vs "
                                f"{ref[1]['median']:.2f} s = {r:.2f}x"
                                if r else "n/a",
                                r <= 0.5 if r else None)
            want = b.media["50M"]["frames"]
            for c in b.cands:
                if c["group"] == "ours" and c["kind"] == "sink":
                    f = g("unpaced", c["key"], "frames")
                    if f:
                        self.target(f"{c['label']}: every frame stored",
                                    f"min {f['min']:.0f} of {want}",
                                    f["min"] >= want)
        if ours("rtmpesrc") and "startup" in b.results:
            s = g("startup", "rtmpesrc", "net")
            a = g("startup", "rtmp2src", "net")
            r = ratio(s, a)
            self.target("time to first buffer ≤ 0.1x rtmp2src's (net)",
                        f"{fmt(s and s['median'] * 1000, '.0f')} ms vs "
                        f"{fmt(a and a['median'] * 1000, '.0f')} ms = "
                        f"{fmt(r, '.2f')}x", r <= 0.1 if r else None)
        if "realtime" in b.results:
            for key, akeys, metric in (
                    ("rtmpesink", ("rtmp2sink", "rtmp2sink-64k"), "net_pct"),
                    ("rtmpesrc", ("rtmp2src",), "cpu_pct")):
                if not ours(key):
                    continue
                c = self.cand(key)
                ref = self.best_anchor("realtime", metric, c["kind"],
                                       keys=akeys)
                s = g("realtime", key, metric)
                r = ratio(s, ref[1] if ref else None)
                self.target(f"{key}: real-time CPU ≤ 0.5x "
                            f"{ref[0] if ref else 'rtmp2'}",
                            f"{fmt(s and s['median'], '.2f')} % vs "
                            f"{fmt(ref and ref[1]['median'], '.2f')} % = "
                            f"{fmt(r, '.2f')}x", r <= 0.5 if r else None)
        if b.want("listen"):
            s_ = g("listen", "rtmpesrc-listen", "per_stream")
            ng = g("listen", "nginx-rtmp", "per_stream")
            r = ratio(s_, ng)
            self.target("listen CPU per stream ≤ 1.5x nginx-rtmp's",
                        f"{s_['median']:.3f} % vs {ng['median']:.3f} % = "
                        f"{r:.2f}x" if r else "not yet measured (nginx-rtmp: "
                        f"{fmt(ng and ng['median'], '.3f')} % per stream)",
                        r <= 1.5 if r else None)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmarks rtmpesink/rtmpesrc against rtmp2 and "
                    "librtmp (see docs/performance.md).")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run of a few minutes: 6 s media, one "
                         "repetition, short windows")
    ap.add_argument("--only", default="",
                    help="comma-separated: figures (" + ",".join(FIGURES) +
                         "), kinds (sink, src), groups (ours, rtmp2, "
                         "librtmp, anchors) or candidate keys")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--media-dir", default=os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
        "gst-rtmpe-bench"))
    ap.add_argument("--dur8", type=int, help="seconds of the 8 Mbit/s file "
                    "(default 30; --quick 6)")
    ap.add_argument("--dur50", type=int, help="seconds of the 50 Mbit/s "
                    "file (default 30; --quick 6)")
    ap.add_argument("--dur2", type=int, help="seconds of the 2 Mbit/s "
                    "file of figure 6 (default 30; --quick 6)")
    ap.add_argument("--listen-streams", type=int, help="publishers in "
                    "figure 6 (default 50; --quick 10)")
    ap.add_argument("--reps", type=int, help="repetitions of the timed "
                    "figures (default 3; --quick 1)")
    ap.add_argument("--cg-reps", type=int, help="repetitions under "
                    "callgrind (default 2; --quick 1)")
    ap.add_argument("--startup-reps", type=int,
                    help="repetitions of figure 4 (default 7; --quick 2)")
    ap.add_argument("--window", type=float, help="seconds of the real-time "
                    "CPU window (default 20; --quick 3)")
    ap.add_argument("--warmup", type=float, help="seconds before the window "
                    "(default 3; --quick 1.5)")
    ap.add_argument("--rc4-seconds", type=int, help="seconds per RC4 "
                    "measurement (default 3; --quick 1)")
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--markdown", help="write the report (markdown) here")
    ap.add_argument("--annotate-all", action="store_true",
                    help="callgrind_annotate the anchors too")
    ap.add_argument("--workdir", help="where the work directories go "
                    "(default BUILD/bench-work)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, callgrind files)")
    ap.add_argument("--list", action="store_true",
                    help="print the candidates and figures, and exit")
    a = ap.parse_args(argv)
    q = a.quick
    defaults = dict(dur8=(6, 30), dur50=(6, 30), dur2=(6, 30),
                    listen_streams=(10, 50), reps=(1, 3), cg_reps=(1, 2),
                    startup_reps=(2, 7), window=(3.0, 20.0),
                    warmup=(1.5, 3.0), rc4_seconds=(1, 3))
    for k, (quick, full) in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, quick if q else full)
    tokens = [t.strip() for t in a.only.split(",") if t.strip()]
    a.figures = {t for t in tokens if t in FIGURES}
    a.kinds = {t for t in tokens if t in ("sink", "src")}
    a.cands = {t for t in tokens if t not in FIGURES and
               t not in ("sink", "src")}
    known = {c["key"] for c in CANDIDATES} | {"ours", "rtmp2", "librtmp",
                                               "anchors"}
    bad = a.cands - known
    if bad:
        ap.error(f"--only: unknown {', '.join(sorted(bad))}")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        for c in CANDIDATES:
            feed = f"{FEEDS[c['feed']]} ! " if c["kind"] == "sink" else ""
            env = " ".join(f"{k}={v}" for k, v in (c.get("env") or {}).items())
            print(f"{c['key']:20} {c['kind']:4} {c['group']:8} "
                  f"{'anchor' if c.get('anchor') else '':6} "
                  f"{env + ' ' if env else ''}{feed}{c['frag']}")
        for k, v in FIGURES.items():
            print(f"{k:10} {v}")
        return 0

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    bench = Bench(args)
    status = 0
    try:
        bench.run()
    except HarnessError as e:
        log("harness error:", e)
        status = 2
    except KeyboardInterrupt as e:
        log("interrupted", e)
        status = 130
    except Exception:
        import traceback
        log("harness bug:\n" + traceback.format_exc())
        status = 2
    finally:
        bench.cleanup()
    bench.save_json()
    if not bench.results:
        return status or 2
    # what was measured is reported even when the run stopped early
    text = Report(bench).build()
    if status:
        text += ("\n**The run stopped early (status "
                 f"{status}): the figures above are partial.**\n")
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
