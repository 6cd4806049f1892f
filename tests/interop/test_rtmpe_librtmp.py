#!/usr/bin/env python3
"""rtmpesrc's RTMPE against librtmp's own server side: rtmpsrv and rtmpsuck.

Both bind 0.0.0.0:1935, fixed in their source, so every case runs its peers
and our gst-launch in a network namespace of its own (root only; skipped
otherwise), on that namespace's loopback. They take commands on stdin and
spin at its end, so they get a pipe the test holds open.

- rtmpsrv (-z) logs the handshake it did (type asked for, our version, our
  C2 verified: "Genuine Adobe Flash Player") and decodes our connect,
  through RC4. On play it runs `rtmpdump` from PATH with what it decoded:
  a stand-in first in PATH records those arguments and exits. It answers
  play with Play.Start and Play.Stop, sends no media, and closes.
- rtmpsuck terminates our RTMPE and relays to a plain server taken from the
  connect tcUrl (tc-url=rtmp://127.0.0.1:NGINXPORT/live), here nginx-rtmp
  in the same namespace, fed by ffmpeg: real media through RTMPE.

Usage: test_rtmpe_librtmp.py CASE   (see CASES at the bottom)
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gst  # noqa: E402
from peers import (Netns, Nginx, Peers, check_media, log, make_flv,  # noqa: E402
                   need, probe, skip, tail, wait_port, wait_until)

PORT = 1935
TIMEOUT = 20
# what our element says once the RTMP handshake is done
HANDSHAKE_DONE = re.compile(r"handshake done: type 0x([0-9a-f]{2}), (\w+), peer version ([0-9a-f]{8})")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def librtmp_server(peers, netns, program, extra_env=None):
    """Starts rtmpsrv or rtmpsuck (-z: full debug log) in @netns, its cwd
    the test's directory (rtmpsuck saves what it relays there), and waits
    for port 1935."""
    path = f"/usr/sbin/{program}"
    if not os.path.exists(path):
        skip(f"{path} is not installed (package rtmpdump)")
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if extra_env:
        env.update(extra_env)
    # stdin: a pipe we keep open (at end of input they print "Unknown
    # command" in a loop)
    p = netns.start([path, "-z"], program, env=env, stdin=subprocess.PIPE,
                    cwd=peers.dir)
    wait_port(PORT, 10, p, netns=netns)
    return p


def stand_in_rtmpdump(peers):
    """A directory holding an `rtmpdump` that records its arguments
    (NUL-separated, one file per call) and exits: rtmpsrv runs it on play."""
    bindir = peers.path("bin")
    os.makedirs(bindir)
    script = os.path.join(bindir, "rtmpdump")
    with open(script, "w") as f:
        f.write('#!/bin/sh\n'
                f'out="{peers.path("rtmpdump-args")}.$$"\n'
                'printf \'%s\\0\' "$@" > "$out.tmp" && mv "$out.tmp" "$out"\n'
                'exit 0\n')
    os.chmod(script, 0o755)
    return bindir


def stand_in_calls(peers):
    calls = []
    for name in sorted(os.listdir(peers.dir)):
        if name.startswith("rtmpdump-args.") and not name.endswith(".tmp"):
            calls.append(read(peers.path(name)).split("\0")[:-1])
    return calls


def handshake_of(text):
    """(type, mode, peer version) from our element's log, or None."""
    m = HANDSHAKE_DONE.search(text)
    return (int(m.group(1), 16), m.group(2), m.group(3)) if m else None


def assert_in(needle, text, what):
    assert needle in text, f"{what}: {needle!r} not found; log tail:\n{text[-3000:]}"


# ---- rtmpsrv ---------------------------------------------------------------

def rtmpsrv_session(tag, extra_props, want_type, want_version):
    """Our rtmpesrc plays rtmpe://127.0.0.1:1935/live/<stream> from rtmpsrv
    asking for type 06. Asserts, from rtmpsrv's log, that it verified our
    digest handshake and decoded our (encrypted) connect, createStream and
    play; from the stand-in rtmpdump, that it understood the play request;
    from our log, the handshake type rtmpsrv answered. rtmpsrv sends
    Play.Start, Play.Stop and closes: our element ends with EOS (rc 0). No
    media: nothing is asserted about frames."""
    need("gst-launch-1.0")
    with Peers(f"rtmpsrv-{tag}") as peers:
        netns = Netns(peers, tag)
        bindir = stand_in_rtmpdump(peers)
        srv = librtmp_server(peers, netns, "rtmpsrv",
                             {"PATH": bindir + os.pathsep + os.environ.get("PATH", "")})
        stream = f"str{tag}"
        t0 = time.monotonic()
        rc, text = gst.run(
            peers, f"rtmpesrc location=rtmpe://127.0.0.1:{PORT}/live/{stream} "
            f"rtmpe-type=06 timeout=5 {extra_props} ! fakesink", "src", TIMEOUT,
            extra_env={"GST_DEBUG": "rtmpe*:3,rtmpe-connection:4,rtmpesrc:3"},
            netns=netns)
        elapsed = time.monotonic() - t0
        # our side: the answer rtmpsrv gave, and a clean end
        hs = handshake_of(text)
        assert hs, f"no handshake line in our log:\n{text[-3000:]}"
        assert hs[0] == want_type, f"asked for 06, wanted an {want_type:02x} answer, got {hs}"
        assert hs[1] == "digest" and hs[2] == "03050101", hs
        assert "Got EOS" in text, text[-3000:]
        assert elapsed < 10, f"took {elapsed:.1f} s"
        log(f"our element: handshake type 0x{hs[0]:02x}, {hs[1]}, rtmpsrv version {hs[2]}")

        # rtmpsrv's side: wait until it has handled the play (it runs the
        # stand-in) and closed
        wait_until(lambda: stand_in_calls(peers) and "Closing connection" in read(srv.logpath),
                   10, "rtmpsrv: play handled", srv)
        srvlog = read(srv.logpath)
        for needle in ("SHandShake: Type Requested : 06",
                       f"SHandShake: Player Version: {want_version}",
                       "SHandShake: Genuine Adobe Flash Player",
                       "SHandShake: Handshaking finished",
                       "ServeInvoke, client invoking <connect>",
                       "STRING:\tlive>",
                       f"STRING:\trtmpe://127.0.0.1:{PORT}/live>",
                       "ServeInvoke, client invoking <createStream>",
                       "ServeInvoke, client invoking <play>"):
            assert_in(needle, srvlog, "rtmpsrv log")
        for bad in ("not genuine", "Couldn't verify", "Wrong secret key",
                    "error decoding invoke", "Handshake failed"):
            assert bad not in srvlog, f"rtmpsrv: {bad!r}:\n{srvlog[-3000:]}"
        for line in srvlog.splitlines():
            if any(k in line for k in ("Type Requested", "Player Version", "Genuine",
                                       "Name:                app", "Name:              tcUrl",
                                       "client invoking")):
                log("rtmpsrv:", line.strip())

        calls = stand_in_calls(peers)
        assert len(calls) == 1, calls
        args = calls[0]
        log("rtmpsrv ran:", " ".join(args))
        opts = dict(zip(args[0::2], args[1::2]))
        assert opts.get("-r") == f"rtmpe://127.0.0.1:{PORT}/live", args
        assert opts.get("-a") == "live", args
        assert opts.get("-y") == stream, args
        assert opts.get("-o") == f"{stream}.flv", args
        assert opts.get("-f", "").startswith("LNX "), args


def case_rtmpsrv_answer_08():
    """Our default C1 version, 128.0.3.2 (librtmp's): asked for 06, rtmpsrv
    upgrades the answer to 08, so our C2 signature carries the XTEA wrap and
    rtmpsrv still finds it genuine."""
    rtmpsrv_session("a08", "", 0x08, "128.0.3.2")


def case_rtmpsrv_answer_06():
    """handshake-version=10.0.32.18: rtmpsrv answers 06 as asked (it
    upgrades only 128.x clients): no signature wrap."""
    rtmpsrv_session("a06", "handshake-version=10.0.32.18", 0x06, "10.0.32.18")


def case_rtmpsrv_type09_refused():
    """rtmpsrv knows no type 09: it closes without a byte. Our client must
    fail fast and say the handshake failed, not hang or go on in clear."""
    need("gst-launch-1.0")
    with Peers("rtmpsrv-09") as peers:
        netns = Netns(peers, "r09")
        bindir = stand_in_rtmpdump(peers)
        srv = librtmp_server(peers, netns, "rtmpsrv",
                             {"PATH": bindir + os.pathsep + os.environ.get("PATH", "")})
        t0 = time.monotonic()
        rc, text = gst.run(
            peers, f"rtmpesrc location=rtmpe://127.0.0.1:{PORT}/live/x "
            "rtmpe-type=09 timeout=5 ! fakesink", "src", TIMEOUT,
            expect_ok=False, netns=netns)
        elapsed = time.monotonic() - t0
        err = gst.error_of(text)
        assert rc != 0 and err, text[-3000:]
        assert "instead of answering the RTMPE handshake (type 0x09)" in text, text[-3000:]
        assert handshake_of(text) is None, text[-3000:]
        assert elapsed < 8, f"took {elapsed:.1f} s"
        wait_until(lambda: "Handshake failed" in read(srv.logpath), 5,
                   "rtmpsrv: refusal logged", srv)
        srvlog = read(srv.logpath)
        assert_in("SHandShake: Unknown version 09", srvlog, "rtmpsrv log")
        assert not stand_in_calls(peers)
        log("refused as expected:", err)
        log("rtmpsrv: SHandShake: Unknown version 09")


# ---- rtmpsuck --------------------------------------------------------------

def case_rtmpsuck_media():
    """Real media over RTMPE: rtmpesrc -> (RTMPE) rtmpsuck -> (RTMP) nginx
    <- ffmpeg publishing a 4 s H.264/AAC FLV in real time. The player
    starts first, so nginx gives it the stream from its first frame; the
    received file must hold every frame the publisher sent, with increasing
    video DTS and no decode error. (rtmpsuck also saves what it relays, as
    ./x, but only flushes it when both its connections are gone, and nginx
    keeps the upstream one open: not checked.)"""
    need("ffmpeg", "gst-launch-1.0")
    with Peers("rtmpsuck") as peers:
        netns = Netns(peers, "suck")
        nginx = Nginx(peers, record=False, netns=netns)
        suck = librtmp_server(peers, netns, "rtmpsuck")
        media = make_flv(peers, seconds=4, extra=("-bf", "2"))
        src_info = probe(media)
        v, a = src_info["video"], src_info["audio"]
        out = peers.path("received.flv")
        # rtmpsuck finds its upstream in tcUrl only; it would fetch a
        # swfUrl, and it frees connect strings it does not know (so no
        # `type`, which only our publisher sends)
        src = gst.launch(
            peers, f"rtmpesrc location=rtmpe://127.0.0.1:{PORT}/live/x "
            f"tc-url=rtmp://127.0.0.1:{nginx.port}/live timeout=5 "
            f"! filesink location={out}", "src",
            extra_env={"GST_DEBUG": "rtmpe*:3,rtmpe-connection:4,rtmpesrc:3"},
            netns=netns)
        wait_until(lambda: "play: name='x'" in read(os.path.join(nginx.prefix, "error.log")),
                   15, "nginx: play through rtmpsuck", src)
        pub = netns.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy",
                           "-f", "flv", nginx.url("x")], "ffmpeg")
        assert peers.wait(pub, TIMEOUT, "ffmpeg") == 0, tail(pub.logpath)
        rc = peers.wait(src, 15, "rtmpesrc")
        text = read(src.logpath)
        assert rc == 0, f"rtmpesrc exited with {rc}:\n{text[-3000:]}"
        hs = handshake_of(text)
        assert hs and hs[0] == 0x08 and hs[1] == "digest", hs
        log(f"our element: handshake type 0x{hs[0]:02x}, {hs[1]}, rtmpsuck version {hs[2]}")

        sucklog = read(suck.logpath)
        for needle in ("SHandShake: Type Requested : 06",
                       "SHandShake: Player Version: 128.0.3.2",
                       "SHandShake: Genuine Adobe Flash Player",
                       "Processing connect",
                       f"tcUrl: rtmp://127.0.0.1:{nginx.port}/live",
                       "Playpath: x"):
            assert_in(needle, sucklog, "rtmpsuck log")
        for line in sucklog.splitlines():
            if any(k in line for k in ("Type Requested", "Player Version", "Genuine",
                                       "tcUrl:", "Playpath", "Saving as")):
                log("rtmpsuck:", line.strip())

        log(f"published: {v} video, {a} audio frames")
        check_media(out, video=v, audio=a)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_rtmpe_librtmp.py " + "|".join(sorted(CASES)))
        sys.exit(2)
    # meson's timeout sends SIGTERM: unwind, so the namespace is deleted
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    CASES[sys.argv[1]]()
