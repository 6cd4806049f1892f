#!/usr/bin/env python3
"""Start/stop cycles of rtmpesrc and rtmpesink against live peers, in every
mode and over every transport, counting leaks, file descriptors and
threads left (rtmpe-cycles, cycles.c, does the cycling in one process).

  cycles.py --binary PATH [--cycles N] [MODE...]

Modes (default: all):
  src-client   rtmpesrc plays from nginx-rtmp (rtmp://), which ffmpeg feeds
               with a looping file
  sink-client  rtmpesink publishes to nginx-rtmp through stunnel (rtmps://,
               certificate verified against its CA file), a new stream name
               each cycle
  src-listen   rtmpesrc mode=listen (rtmpe://) takes a publisher: rtmpesink
               in another process, over RTMPE, reconnecting every time the
               listener comes back
  sink-listen  rtmpesink mode=listen (rtmps://) serves a player: rtmpesrc
               in another process, over TLS, reconnecting likewise
  rtmfp-pair   rtmfpsink publishes into rtmfpsrc mode=listen over UDP, both
               in the cycled pipeline

The test command runs a few cycles of each (meson test reliability-cycles);
the long run (docs/reliability.md) is, in the sanitizer build:

  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \\
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \\
  GST_PLUGIN_PATH_1_0=build-san/ext/rtmpe RTMPE_SANITIZER_PRELOAD="..." \\
  tests/reliability/cycles.py --binary build-san/tests/reliability/rtmpe-cycles --cycles 1000

(scripts/cycles-long.sh sets all that up.)
"""

import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import gst  # noqa: E402
from peers import (Nginx, Peers, Stunnel, free_port, log, make_cert,  # noqa: E402
                   make_flv, need, tail, wait_port)

LIVE = ("videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=200 ! "
        "h264parse ! flvmux streamable=true ! ")
RECONNECT = "auto-reconnect=true reconnect-delay=50 max-reconnect-delay=100 timeout=5"


def run_cycles(peers, binary, n, pipeline, name, *cond):
    env = dict(os.environ)
    # the peers get the sanitizer preload from gst.env(); this binary is
    # instrumented itself and must not inherit LD_PRELOAD or detect_leaks=0
    env.pop("LD_PRELOAD", None)
    logpath = peers.path(f"cycles-{name}.log")
    t0 = time.monotonic()
    with open(logpath, "wb") as f:
        rc = subprocess.run([binary, "-n", str(n), *cond, pipeline], stdout=f,
                            stderr=subprocess.STDOUT, env=env,
                            timeout=max(120, n * 3)).returncode
    with open(logpath, errors="replace") as f:
        text = f.read()
    summary = [ln for ln in text.splitlines() if ln.startswith("cycles:")]
    took = time.monotonic() - t0
    line = summary[-1] if summary else "(no summary)"
    leaks = "LeakSanitizer" in text or "AddressSanitizer" in text
    ok = rc == 0 and summary and not leaks
    rss = [ln.rsplit("RSS ", 1)[1].split()[0] for ln in text.splitlines()
           if " cycles, " in ln and "RSS " in ln]
    log(f"{name}: {'OK' if ok else 'FAILED'} in {took:.0f} s: {line}"
        + (f"; RSS every 100 cycles (MB): {' '.join(rss)}" if rss else "")
        + (" (sanitizer report)" if leaks else ""))
    if not ok:
        log(tail(logpath, 60))
    return ok


def mode_src_client(peers, binary, n):
    nginx = Nginx(peers, record=False)
    media = make_flv(peers, seconds=10)
    peers.start(["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", media, "-c", "copy",
                 "-f", "flv", nginx.url("cyc")], "ffmpeg")
    time.sleep(1)
    return run_cycles(peers, binary, n,
                      f"rtmpesrc location={nginx.url('cyc')} timeout=5 ! "
                      "fakesink name=out sync=false", "src-client", "--buffers", "5")


def mode_sink_client(peers, binary, n):
    nginx = Nginx(peers, record=False)
    tls = Stunnel(peers, nginx.port)
    media = make_flv(peers, seconds=10)
    return run_cycles(peers, binary, n,
                      f"filesrc location={media} ! rtmpesink name=e timeout=5 "
                      f"location=rtmps://127.0.0.1:{tls.port}/live/pub%d tls-ca-file={tls.cert}",
                      "sink-client", "--stat", "e:bytes-out:30000")


def mode_src_listen(peers, binary, n):
    port = free_port()
    url = f"rtmpe://127.0.0.1:{port}/live/x"
    gst.launch(peers, LIVE + f"rtmpesink location={url} {RECONNECT}", "publisher",
               extra_env={"GST_DEBUG": "0"})
    return run_cycles(peers, binary, n,
                      f"rtmpesrc mode=listen location={url} timeout=5 ! "
                      "fakesink name=out sync=false", "src-listen", "--buffers", "5")


def mode_sink_listen(peers, binary, n):
    port = free_port()
    cert, key = make_cert(peers, "listen")
    url = f"rtmps://127.0.0.1:{port}/live/x"
    gst.launch(peers, f"rtmpesrc location={url} tls-ca-file={cert} {RECONNECT} ! fakesink",
               "player", extra_env={"GST_DEBUG": "0"})
    return run_cycles(peers, binary, n,
                      LIVE + f"rtmpesink name=e mode=listen location={url} timeout=5 "
                      f"tls-certificate-file={cert} tls-key-file={key}",
                      "sink-listen", "--stat", "e:bytes-out:5000")


def mode_rtmfp_pair(peers, binary, n):
    """rtmfpsink publishing into rtmfpsrc mode=listen over UDP, both in the
    cycled pipeline: neither reconnects to a peer that went away (rtmfpsink
    has no auto-reconnect, rtmfpsrc listen ends with its publisher), so both
    start and stop every cycle. In one pipeline the player's fakesink must
    not wait to preroll (async=false): the bin would hold rtmfpsink out of
    PLAYING until it did, and it only gets data once rtmfpsink plays."""
    r = subprocess.run(["gst-inspect-1.0", "rtmfpsrc"], env=gst.env(), capture_output=True)
    if r.returncode != 0:
        log("rtmfp-pair: skipped: the rtmfp plugin is not built")
        return True
    port = free_port(socket.SOCK_DGRAM)
    return run_cycles(peers, binary, n,
                      LIVE + f"rtmfpsink location=rtmfp://127.0.0.1:{port}/live/x timeout=5 "
                      f"rtmfpsrc mode=listen location=rtmfp://127.0.0.1:{port}/live ! "
                      "fakesink name=out sync=false async=false", "rtmfp-pair",
                      "--buffers", "5")


MODES = {"src-client": mode_src_client, "sink-client": mode_sink_client,
         "src-listen": mode_src_listen, "sink-listen": mode_sink_listen,
         "rtmfp-pair": mode_rtmfp_pair}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("modes", nargs="*", default=list(MODES))
    args = ap.parse_args()
    need("nginx", "stunnel4", "ffmpeg", "gst-launch-1.0")
    subprocess.run(["gst-inspect-1.0", "rtmpesrc"], env=gst.env(), capture_output=True)
    failed = []
    for m in args.modes:
        with Peers(f"cycles-{m}") as peers:
            if not MODES[m](peers, os.path.abspath(args.binary), args.cycles):
                failed.append(m)
    if failed:
        log("FAILED:", " ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
