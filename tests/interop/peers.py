"""Independent peers for the interop tests, started on 127.0.0.1.

Every peer takes a free port, writes its files under a private temporary
directory, waits for readiness by polling (never by sleeping a fixed time)
and is stopped, with everything it started, when the test ends.

Python 3 standard library only.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VERBOSE = bool(os.environ.get("INTEROP_VERBOSE"))


def log(*args):
    print("[interop]", *args, file=sys.stderr, flush=True)


def skip(reason):
    """Exit with meson's 'skipped' code."""
    log("SKIP:", reason)
    sys.exit(77)


def need(*programs):
    for p in programs:
        if shutil.which(p) is None:
            skip(f"{p} is not installed (scripts/setup.sh installs it)")


def free_port(kind=socket.SOCK_STREAM):
    """A port nobody listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, proc=None, interval=0.02):
    """Polls predicate() until true; fails early if proc died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout} s")


def listening(port, proto="tcp"):
    """Whether something listens on @port (TCP) or is bound to it (UDP),
    read from /proc/net: a probe connection would be taken by single-shot
    servers such as `ffmpeg -listen 1` as their one client."""
    for name in (proto, proto + "6"):
        try:
            with open(f"/proc/net/{name}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, state = parts[1], parts[3]
                    if int(local.rsplit(":", 1)[1], 16) == port and \
                            (proto == "udp" or state == "0A"):
                        return True
        except OSError:
            continue
    return False


def wait_port(port, timeout=10, proc=None, proto="tcp"):
    wait_until(lambda: listening(port, proto), timeout, f"port {port}", proc)


class Peers(contextlib.ExitStack):
    """Owns a temporary directory and every process a test starts."""

    def __init__(self, name="interop"):
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix=f"rtmpe-{name}-")
        self.procs = []
        self.callback(self._cleanup)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self, args, name, env=None, stdin=None, **kw):
        """Starts a process in its own process group; output goes to a log
        file named after it."""
        logpath = self.path(f"{name}.log")
        logf = open(logpath, "wb")
        if VERBOSE:
            log("start", name, " ".join(args))
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             env=env, start_new_session=True, **kw)
        p.logpath = logpath
        p.name = name
        p._logf = logf
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        p._logf.close()
        return p.returncode

    def wait(self, p, timeout, what=None):
        """Waits for p to exit; on timeout kills it and fails."""
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(p, signal.SIGKILL)
            raise TimeoutError(f"{what or p.name} did not finish in {timeout} s;"
                               f" log:\n{tail(p.logpath)}")
        p._logf.close()
        return rc

    def _cleanup(self):
        for p in self.procs:
            self.stop(p, timeout=3)
        if os.environ.get("INTEROP_KEEP"):
            log("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no log)"


# ---- peers -----------------------------------------------------------------

NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


class Nginx:
    """A private nginx-rtmp: application 'live' (live on), recording every
    published stream to <dir>/record/<name>.flv so a test can check what the
    server stored."""

    def __init__(self, peers, record=True, chunk_size=4096, extra_app=""):
        need("nginx")
        if not os.path.exists(NGINX_RTMP_MODULE):
            skip("libnginx-mod-rtmp is not installed")
        self.peers = peers
        self.port = free_port()
        self.prefix = peers.path(f"nginx-{self.port}")
        self.record_dir = os.path.join(self.prefix, "record")
        os.makedirs(self.record_dir)
        rec = (f"record all; record_path {self.record_dir}; record_unique off;"
               if record else "")
        conf = f"""
daemon off;
master_process off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log info;
load_module {NGINX_RTMP_MODULE};
events {{ worker_connections 1024; }}
rtmp {{
  server {{
    listen 127.0.0.1:{self.port};
    chunk_size {chunk_size};
    max_message 16M;
    ping 30s;
    application live {{ live on; {rec} {extra_app} }}
  }}
}}
"""
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = None
        self.start()

    def start(self):
        self.proc = self.peers.start(
            ["nginx", "-p", self.prefix, "-c", self.conf], f"nginx-{self.port}")
        wait_port(self.port, 10, self.proc)

    def stop(self):
        self.peers.stop(self.proc)

    def url(self, stream="test", scheme="rtmp", app="live"):
        return f"{scheme}://127.0.0.1:{self.port}/{app}/{stream}"

    def recorded(self, stream="test"):
        return os.path.join(self.record_dir, f"{stream}.flv")


class Stunnel:
    """TLS in front of a plain RTMP port, with a self-signed certificate for
    127.0.0.1/localhost made at start (or given)."""

    def __init__(self, peers, connect_port, cert=None):
        need("stunnel4", "openssl")
        self.peers = peers
        self.port = free_port()
        self.cert, self.key = cert or make_cert(peers, f"stunnel-{self.port}")
        conf = peers.path(f"stunnel-{self.port}.conf")
        with open(conf, "w") as f:
            f.write(f"""foreground = yes
pid =
debug = 4
[rtmps]
accept = 127.0.0.1:{self.port}
connect = 127.0.0.1:{connect_port}
cert = {self.cert}
key = {self.key}
""")
        self.proc = peers.start(["stunnel4", conf], f"stunnel-{self.port}")
        wait_port(self.port, 10, self.proc)


def make_cert(peers, name, cn="localhost",
              san="DNS:localhost,IP:127.0.0.1"):
    cert = peers.path(f"{name}.crt")
    key = peers.path(f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", f"/CN={cn}",
                    "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


# ---- media -----------------------------------------------------------------

def gst_env():
    """Environment for gst-launch with the build tree's plugins first."""
    env = dict(os.environ)
    return env


def make_flv(peers, name="media.flv", seconds=4, size="320x240", rate=25,
             bitrate="500k", gop=25, extra=()):
    """An H.264 + AAC FLV made with ffmpeg's lavfi sources."""
    need("ffmpeg")
    out = peers.path(name)
    subprocess.run(["ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                    "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-preset", "veryfast", "-b:v", bitrate, "-g", str(gop),
                    "-bf", "0", "-c:a", "aac", "-b:a", "64k", *extra,
                    "-f", "flv", out], check=True)
    return out


def probe(path):
    """Frame counts, DTS order and decode errors of a media file (ffprobe and
    a full ffmpeg decode)."""
    need("ffprobe", "ffmpeg")
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "packet=stream_index,dts,pts,flags:stream=index,codec_type,codec_name",
                        "-of", "json", path], capture_output=True, text=True)
    if r.returncode != 0:
        return {"ok": False, "error": r.stderr.strip()}
    info = json.loads(r.stdout or "{}")
    streams = {s["index"]: s for s in info.get("streams", [])}
    out = {"ok": True, "video": 0, "audio": 0, "video_dts_increasing": True,
           "keyframes": 0, "codecs": sorted({s.get("codec_name", "?") for s in streams.values()})}
    last = None
    for p in info.get("packets", []):
        kind = streams.get(p["stream_index"], {}).get("codec_type")
        if kind == "video":
            out["video"] += 1
            if "K" in p.get("flags", ""):
                out["keyframes"] += 1
            dts = int(p.get("dts", -1)) if p.get("dts") not in (None, "N/A") else None
            if dts is not None:
                if last is not None and dts <= last:
                    out["video_dts_increasing"] = False
                last = dts
        elif kind == "audio":
            out["audio"] += 1
    d = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"],
                       capture_output=True, text=True)
    out["decode_errors"] = len([ln for ln in d.stderr.splitlines() if ln.strip()])
    out["decode_log"] = d.stderr.strip()[-2000:]
    return out


def check_media(path, video=None, audio=None, min_video=None, min_audio=None):
    """Asserts a received file: frame counts (exact or at least), strictly
    increasing video DTS, zero decode errors. Returns the probe."""
    info = probe(path)
    assert info["ok"], f"{path}: ffprobe failed: {info.get('error')}"
    msg = f"{path}: {json.dumps({k: v for k, v in info.items() if k != 'decode_log'})}"
    if video is not None:
        assert info["video"] == video, msg
    if audio is not None:
        assert info["audio"] == audio, msg
    if min_video is not None:
        assert info["video"] >= min_video, msg
    if min_audio is not None:
        assert info["audio"] >= min_audio, msg
    assert info["video_dts_increasing"], msg
    assert info["decode_errors"] == 0, msg + "\n" + info["decode_log"]
    log("media ok:", msg)
    return info
