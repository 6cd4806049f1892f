#!/usr/bin/env python3
"""Listen mode: rtmpesrc as the server publishers send to, rtmpesink as the
server players play from, against clients we did not write (librtmp's
rtmpsink and rtmpdump, GStreamer's rtmp2, ffmpeg).

Usage: test_listen.py CASE   (see CASES at the bottom)
"""

import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gst  # noqa: E402
from peers import (Peers, check_media, free_port, log, make_cert, make_flv,  # noqa: E402
                   need, probe, tail, wait_port, wait_until)
from test_client import gen_pipeline, source_counts  # noqa: E402

TIMEOUT = 60


def listen_src(peers, url, out, extra=""):
    """rtmpesrc listening on @url, writing what it gets to @out; returns the
    process once the port is open."""
    port = int(url.split(":")[2].split("/")[0])
    p = gst.launch(peers, f"rtmpesrc mode=listen location={url} {extra} ! "
                   f"filesink location={out}", "listen-src")
    wait_port(port, 10, p)
    return p


def finish(peers, p, what, timeout=20):
    rc = peers.wait(p, timeout, what)
    assert rc == 0, f"{what} exited with {rc}:\n{tail(p.logpath)}"


# ---- rtmpesrc listen: publishers we did not write --------------------------

def case_ingest_librtmp_rtmpe():
    """GStreamer's librtmp rtmpsink publishes over RTMPE into rtmpesrc."""
    with Peers("ingest-librtmp") as peers:
        port = free_port()
        out = peers.path("got.flv")
        src = listen_src(peers, f"rtmpe://127.0.0.1:{port}/live/cam", out)
        gst.run(peers, gen_pipeline(f"rtmpsink location=rtmpe://127.0.0.1:{port}/live/cam"),
                "rtmpsink", TIMEOUT)
        finish(peers, src, "rtmpesrc")
        check_media(out, video=100, min_audio=150)
        with open(src.logpath) as f:
            text = f.read()
        assert "0x06" in text or "0x08" in text or "handshake done" not in text, text


def case_ingest_rtmp2sink():
    """GStreamer's rtmp2sink publishes over plain RTMP into rtmpesrc."""
    with Peers("ingest-rtmp2") as peers:
        port = free_port()
        out = peers.path("got.flv")
        src = listen_src(peers, f"rtmp://127.0.0.1:{port}/live/cam", out)
        gst.run(peers, gen_pipeline(f"rtmp2sink location=rtmp://127.0.0.1:{port}/live/cam"),
                "rtmp2sink", TIMEOUT)
        finish(peers, src, "rtmpesrc")
        check_media(out, video=100, min_audio=150)


def case_ingest_ffmpeg():
    """ffmpeg publishes over plain RTMP into rtmpesrc: every frame."""
    need("ffmpeg")
    with Peers("ingest-ffmpeg") as peers:
        media = make_flv(peers, seconds=4, extra=("-bf", "2"))
        v, a = source_counts(media)
        port = free_port()
        out = peers.path("got.flv")
        src = listen_src(peers, f"rtmp://127.0.0.1:{port}/live/cam", out)
        ff = peers.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy",
                          "-f", "flv", f"rtmp://127.0.0.1:{port}/live/cam"], "ffmpeg")
        assert peers.wait(ff, TIMEOUT) == 0, tail(ff.logpath)
        finish(peers, src, "rtmpesrc")
        check_media(out, video=v, audio=a)


def case_ingest_ffmpeg_rtmps():
    """ffmpeg publishes over RTMPS (TLS) into rtmpesrc."""
    need("ffmpeg", "openssl")
    with Peers("ingest-rtmps") as peers:
        media = make_flv(peers, seconds=4)
        v, a = source_counts(media)
        cert, key = make_cert(peers, "server")
        port = free_port()
        out = peers.path("got.flv")
        src = listen_src(peers, f"rtmps://127.0.0.1:{port}/live/cam", out,
                         f"tls-certificate-file={cert} tls-key-file={key}")
        ff = peers.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy",
                          "-f", "flv", f"rtmps://127.0.0.1:{port}/live/cam"], "ffmpeg")
        assert peers.wait(ff, TIMEOUT) == 0, tail(ff.logpath)
        finish(peers, src, "rtmpesrc")
        check_media(out, video=v, audio=a)


# ---- rtmpesink listen: players we did not write ----------------------------

def first_video_is_key(path):
    import json
    import subprocess
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                        "packet=flags", "-of", "json", path], capture_output=True, text=True)
    pkts = json.loads(r.stdout).get("packets", [])
    return bool(pkts) and "K" in pkts[0].get("flags", "")


def case_serve_players():
    """rtmpesink serves three players at once (rtmp2src, ffmpeg, rtmpdump)
    and one rtmpdump that joins late; each starts on a key frame and decodes
    cleanly."""
    need("ffmpeg", "rtmpdump")
    with Peers("serve") as peers:
        port = free_port()
        url = f"rtmp://127.0.0.1:{port}/live/cam"
        # 8 s of media, paced by the sink's clock
        sink = gst.launch(peers, gen_pipeline(f"rtmpesink mode=listen location={url}", n=200),
                          "listen-sink")
        wait_port(port, 10, sink)
        outs = {k: peers.path(f"{k}.flv") for k in ("rtmp2src", "ffmpeg", "rtmpdump", "late")}
        players = {
            "rtmp2src": gst.launch(peers, f"rtmp2src location={url} ! filesink "
                                   f"location={outs['rtmp2src']}", "rtmp2src"),
            "ffmpeg": peers.start(["ffmpeg", "-v", "error", "-i", url, "-c", "copy",
                                   "-f", "flv", outs["ffmpeg"]], "ffmpeg"),
            "rtmpdump": peers.start(["rtmpdump", "-q", "--live", "-r", url, "-o",
                                     outs["rtmpdump"]], "rtmpdump"),
        }
        # the late one joins once the others have received something
        wait_until(lambda: os.path.exists(outs["rtmpdump"]) and
                   os.path.getsize(outs["rtmpdump"]) > 100000, 20, "first players fed")
        players["late"] = peers.start(["rtmpdump", "-q", "--live", "-r", url, "-o",
                                       outs["late"]], "late")
        finish(peers, sink, "rtmpesink", TIMEOUT)
        for k, p in players.items():
            # the sink told every player the stream ended
            assert peers.wait(p, 20, k) in (0, 2), f"{k}:\n{tail(p.logpath)}"
        for k, path in outs.items():
            info = check_media(path, min_video=20 if k == "late" else 100)
            assert first_video_is_key(path), f"{k} does not start on a key frame"
            log(k, "frames:", info["video"])
        assert probe(outs["late"])["video"] < probe(outs["rtmpdump"])["video"]


def case_serve_rtmpdump_rtmpe():
    """rtmpesink serves rtmpdump over RTMPE."""
    need("rtmpdump")
    with Peers("serve-rtmpe") as peers:
        port = free_port()
        url = f"rtmpe://127.0.0.1:{port}/live/cam"
        sink = gst.launch(peers, gen_pipeline(f"rtmpesink mode=listen location={url}", n=150),
                          "listen-sink")
        wait_port(port, 10, sink)
        out = peers.path("dump.flv")
        dump = peers.start(["rtmpdump", "-V", "--live", "-r", url, "-o", out], "rtmpdump")
        finish(peers, sink, "rtmpesink", TIMEOUT)
        peers.wait(dump, 20)
        with open(dump.logpath, errors="replace") as f:
            text = f.read()
        # librtmp checked our digest and signature, and used RC4
        assert "Genuine Adobe Flash Media Server" in text or "RC4" in text, text[-3000:]
        check_media(out, min_video=100)
        assert first_video_is_key(out)


# ---- refusals ---------------------------------------------------------------

def ffmpeg_publish(peers, media, url, name):
    return peers.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy", "-f", "flv",
                        url], name)


def log_has(p, text):
    with open(p.logpath, errors="replace") as f:
        return text in f.read()


def case_refusals():
    """Wrong application, wrong stream, a second publisher, and a plain
    client when RTMPE is required: each refused, the first publisher goes
    on, and rtmpesrc says why in its log."""
    need("ffmpeg")
    with Peers("refusals") as peers:
        media = make_flv(peers, seconds=6)
        v, a = source_counts(media)
        port = free_port()
        out = peers.path("got.flv")
        src = listen_src(peers, f"rtmp://127.0.0.1:{port}/live/cam", out)

        bad_app = ffmpeg_publish(peers, media, f"rtmp://127.0.0.1:{port}/other/cam", "bad-app")
        assert peers.wait(bad_app, 20) != 0
        wait_until(lambda: log_has(src, "asked for application 'other': refused"), 10,
                   "refusal logged", src)
        bad_stream = ffmpeg_publish(peers, media, f"rtmp://127.0.0.1:{port}/live/nope",
                                    "bad-stream")
        assert peers.wait(bad_stream, 20) != 0
        wait_until(lambda: log_has(src, "unknown stream name"), 10, "refusal logged", src)

        first = ffmpeg_publish(peers, media, f"rtmp://127.0.0.1:{port}/live/cam", "first")
        wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 1000, 20,
                   "first publisher streaming", src)
        second = ffmpeg_publish(peers, media, f"rtmp://127.0.0.1:{port}/live/cam", "second")
        assert peers.wait(second, 20) != 0
        wait_until(lambda: log_has(src, "already being published"), 10, "refusal logged", src)
        assert peers.wait(first, TIMEOUT) == 0, tail(first.logpath)
        finish(peers, src, "rtmpesrc")
        # the first publisher was not disturbed
        check_media(out, video=v, audio=a)

    with Peers("refusals-rtmpe") as peers:
        media = make_flv(peers, seconds=1)
        port = free_port()
        src = listen_src(peers, f"rtmpe://127.0.0.1:{port}/live/cam",
                         peers.path("got.flv"), "encryption=required")
        plain = ffmpeg_publish(peers, media, f"rtmp://127.0.0.1:{port}/live/cam", "plain")
        assert peers.wait(plain, 20) != 0
        wait_until(lambda: log_has(src, "dropped"), 10, "refusal logged", src)
        assert src.poll() is None, "rtmpesrc must go on listening"


def case_limits():
    """A peer that never completes its handshake is dropped after the
    timeout; connections beyond max-connections are refused at once."""
    with Peers("limits") as peers:
        port = free_port()
        src = listen_src(peers, f"rtmp://127.0.0.1:{port}/live/cam", peers.path("got.flv"),
                         "timeout=2 max-connections=2")
        t0 = time.monotonic()
        a = socket.create_connection(("127.0.0.1", port))
        b = socket.create_connection(("127.0.0.1", port))
        b.sendall(b"\x03")            # one byte of C0, then nothing (slowloris)
        wait_until(lambda: log_has(src, "accepted") or True, 1, "accepted")
        c = socket.create_connection(("127.0.0.1", port))
        c.settimeout(5)
        try:
            got = c.recv(1)
        except ConnectionResetError:
            got = b""
        assert got == b"", "the third connection should be refused"
        assert time.monotonic() - t0 < 1.5, "refused at once"
        for s in (a, b):
            s.settimeout(8)
            try:
                got = s.recv(4096)
            except ConnectionResetError:
                got = b""
            assert got == b"", "dropped without an answer"
        elapsed = time.monotonic() - t0
        assert 1.5 < elapsed < 6, f"dropped after {elapsed:.1f} s, timeout=2"
        for s in (a, b, c):
            s.close()
        assert src.poll() is None, "rtmpesrc goes on listening"
        log(f"handshake timeout enforced after {elapsed:.1f} s; third connection refused")
        peers.stop(src, signal.SIGINT)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_listen.py " + "|".join(sorted(CASES)))
        sys.exit(2)
    CASES[sys.argv[1]]()
