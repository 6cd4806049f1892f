#!/usr/bin/env python3
"""rtmfpsrc and rtmfpsink against each other over real UDP on 127.0.0.1,
inside a network namespace each case creates and deletes, with random loss
injected by iptables for the lossy cases.

Received media is checked with ffprobe/ffmpeg (tests/interop/peers.py):
frame counts, strictly increasing video DTS, zero decode errors.

Usage: test_rtmfp.py CASE   (see CASES at the bottom)
"""

import os
import re
import secrets
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
sys.path.insert(0, HERE)

import gst  # noqa: E402
from netns import Netns  # noqa: E402
from peers import (Peers, check_media, free_port, log, make_flv,  # noqa: E402
                   need, probe, tail, wait_until)

TIMEOUT = 45
DEBUG = {"GST_DEBUG": "rtmfp*:3"}


def launch(peers, ns, pipeline, name, messages=False):
    need("gst-launch-1.0")
    args = ns.prefix() + ["gst-launch-1.0", "-e"] + (["-m"] if messages else []) \
        + shlex.split(pipeline)
    return peers.start(args, name, env=gst.env(DEBUG))


def finish(peers, p, timeout, expect_ok=True):
    rc = peers.wait(p, timeout, p.name)
    text = open(p.logpath, "rb").read().decode("utf-8", "replace")
    if expect_ok and rc != 0:
        raise AssertionError(f"{p.name} exited with {rc}:\n{text[-4000:]}")
    return rc, text


def stats_of(text, field):
    """The last value of @field in the rtmfp-stats messages gst-launch -m
    printed."""
    vals = re.findall(rf"[ ,]{re.escape(field)}=\(g?u?int(?:64)?\)(\d+)", text)
    return int(vals[-1]) if vals else None


def wait_listening(peers, port, proc):
    """The listener's UDP port is bound (read inside the namespace)."""
    def bound():
        out = peers_ns.run(["cat", "/proc/net/udp", "/proc/net/udp6"]).stdout
        return any(int(line.split()[1].rsplit(":", 1)[1], 16) == port
                   for line in out.splitlines()[1:] if ":" in line.split()[1])
    wait_until(bound, 10, f"UDP port {port}", proc)


peers_ns = None


def listen_src(peers, ns, port, out, extra="", name="listen", messages=False,
               host="127.0.0.1"):
    global peers_ns
    peers_ns = ns
    h = f"[{host}]" if ":" in host else host
    p = launch(peers, ns, f"rtmfpsrc mode=listen location=rtmfp://{h}:{port}/live "
               f"{extra} ! filesink location={out}", name, messages)
    wait_listening(peers, port, p)
    return p


def publish_file(peers, ns, media, url, name="sink", extra=""):
    """rtmfpsink fed a plain FLV file, as fast as it takes it."""
    return launch(peers, ns, f"filesrc location={media} ! rtmfpsink "
                  f"location={url} {extra}", name, messages=True)


def counts(path):
    info = probe(path)
    assert info["ok"], info
    return info["video"], info["audio"]


def run_publish(loss, seconds=8, bitrate="3M", name="publish"):
    with Peers(f"rtmfp-{name}") as peers, Netns(name) as ns:
        media = make_flv(peers, seconds=seconds, bitrate=bitrate,
                         size="640x360", extra=("-bf", "2"))
        v, a = counts(media)
        ns.set_loss(loss)
        port = free_port()
        out = peers.path("received.flv")
        src = listen_src(peers, ns, port, out, messages=True)
        t0 = time.monotonic()
        sink = publish_file(peers, ns, media, f"rtmfp://127.0.0.1:{port}/live/cam")
        _, stext = finish(peers, sink, TIMEOUT)
        _, rtext = finish(peers, src, 20)
        secs = time.monotonic() - t0
        log(f"loss {loss * 100:.0f}%: {os.path.getsize(media)} bytes in {secs:.1f} s; "
            f"dropped by iptables {ns.dropped()}, sender retransmissions "
            f"{stats_of(stext, 'retransmissions')}, loss events "
            f"{stats_of(stext, 'loss-events')}")
        check_media(out, video=v, audio=a)
        if loss > 0:
            assert ns.dropped() > 0, "no datagram was dropped"
            assert stats_of(stext, "retransmissions"), stext[-2000:]


def case_publish_listen():
    """rtmfpsink publishes a file into rtmfpsrc listen: every frame."""
    run_publish(0.0, name="publish")


def case_loss_1():
    """The same with 1% of the datagrams dropped: every frame, in order."""
    run_publish(0.01, name="loss1")


def case_loss_5():
    """The same with 5% of the datagrams dropped."""
    run_publish(0.05, name="loss5")


def case_live_partial():
    """A live (paced) stream with max-latency=300 at 5% loss: abandoning is
    allowed, but what arrives decodes and most frames make it."""
    with Peers("rtmfp-partial") as peers, Netns("partial") as ns:
        ns.set_loss(0.05)
        port = free_port()
        out = peers.path("received.flv")
        src = listen_src(peers, ns, port, out)
        sink = launch(peers, ns,
                      "videotestsrc is-live=true num-buffers=150 ! "
                      "video/x-raw,width=320,height=240,framerate=25/1 ! "
                      "x264enc tune=zerolatency key-int-max=25 bitrate=600 ! "
                      "h264parse ! flvmux streamable=true ! "
                      f"rtmfpsink max-latency=300 location=rtmfp://127.0.0.1:{port}/live/x",
                      "sink", messages=True)
        finish(peers, sink, TIMEOUT)
        finish(peers, src, 20)
        info = probe(out)
        log("partial reliability:", {k: v for k, v in info.items() if k != "decode_log"})
        assert info["ok"] and info["video"] >= 120, info
        assert info["video_dts_increasing"], info


def case_blackout():
    """The network drops every datagram for 3 s in the middle of a live,
    reliable stream: the session survives (no error, no new session) and
    every frame arrives, the ones sent during the outage late."""
    with Peers("rtmfp-blackout") as peers, Netns("blackout") as ns:
        port = free_port()
        out = peers.path("received.flv")
        src = listen_src(peers, ns, port, out, messages=True)
        sink = launch(peers, ns,
                      "videotestsrc is-live=true num-buffers=250 ! "
                      "video/x-raw,width=320,height=240,framerate=25/1 ! "
                      "x264enc tune=zerolatency key-int-max=25 bitrate=600 ! "
                      "h264parse ! flvmux streamable=true ! "
                      f"rtmfpsink location=rtmfp://127.0.0.1:{port}/live/x",
                      "sink", messages=True)
        # the stream is flowing: the listener has written a few frames
        wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 40000, 20,
                   "media at the listener", sink)
        ns.set_loss(1.0)
        time.sleep(3)               # the outage itself, not a wait for readiness
        dropped = ns.dropped()
        ns.set_loss(0)
        _, stext = finish(peers, sink, TIMEOUT)
        _, rtext = finish(peers, src, 20)
        log(f"blackout: {dropped} datagrams dropped in 3 s; sender retransmissions "
            f"{stats_of(stext, 'retransmissions')}")
        assert dropped > 0, "the outage dropped nothing"
        for text, who in ((stext, "sink"), (rtext, "listener")):
            assert "ERROR" not in text, f"{who}: {text[-3000:]}"
        sessions = re.findall(r"[ ,]sessions=\(g?u?int(?:64)?\)(\d+)", rtext)
        assert sessions and max(int(x) for x in sessions) == 1, sessions
        info = check_media(out, video=250)
        log("blackout: all frames after the outage:", info["video"])


def case_ipv6():
    """The same over IPv6 (::1)."""
    with Peers("rtmfp-ipv6") as peers, Netns("ipv6") as ns:
        media = make_flv(peers, seconds=3)
        v, a = counts(media)
        port = free_port()
        out = peers.path("received.flv")
        src = listen_src(peers, ns, port, out, host="::1")
        sink = publish_file(peers, ns, media, f"rtmfp://[::1]:{port}/live/cam6")
        finish(peers, sink, TIMEOUT)
        finish(peers, src, 20)
        check_media(out, video=v, audio=a)


def case_p2p():
    """rtmfpsink mode=peer and rtmfpsrc mode=peer both connect to rtmfpsrc
    listen, which introduces the player to the publisher; the media goes
    straight between them: the introducer sees a few hundred bytes, the
    peers' direct session carries the stream."""
    with Peers("rtmfp-p2p") as peers, Netns("p2p") as ns:
        port = free_port()
        intro = listen_src(peers, ns, port, peers.path("intro.flv"),
                           extra="stats-interval=200", name="introducer",
                           messages=True)
        pub = launch(peers, ns,
                     "videotestsrc is-live=true num-buffers=200 ! "
                     "video/x-raw,width=320,height=240,framerate=25/1 ! "
                     "x264enc tune=zerolatency key-int-max=25 bitrate=600 ! "
                     "h264parse ! flvmux streamable=true ! "
                     f"rtmfpsink mode=peer location=rtmfp://127.0.0.1:{port}/live/cam "
                     "stats-interval=200", "publisher", messages=True)

        def peer_id():
            m = re.search(r"peer-id=\(string\)([0-9a-f]{64})",
                          open(pub.logpath, "rb").read().decode("utf-8", "replace"))
            return m.group(1) if m else None
        wait_until(lambda: peer_id() is not None, 10, "the publisher's peer ID", pub)
        out = peers.path("p2p.flv")
        sub = launch(peers, ns, f"rtmfpsrc mode=peer location=rtmfp://127.0.0.1:{port}"
                     f"/live/cam peer-id={peer_id()} stats-interval=200 ! "
                     f"filesink location={out}", "subscriber", messages=True)
        _, ptext = finish(peers, pub, TIMEOUT)
        _, stext = finish(peers, sub, 20)
        time.sleep(0.5)
        peers.stop(intro)
        itext = open(intro.logpath, "rb").read().decode("utf-8", "replace")
        info = check_media(out, min_video=100)
        direct = stats_of(stext, "p2p-bytes")
        via_server = stats_of(stext, "server-bytes")
        intro_bytes = (stats_of(itext, "bytes-received") or 0) + \
            (stats_of(itext, "bytes-sent") or 0)
        pub_direct = stats_of(ptext, "p2p-bytes")
        log(f"p2p: subscriber direct {direct} bytes, with the server {via_server}; "
            f"publisher direct {pub_direct}; introducer total {intro_bytes} bytes; "
            f"{info['video']} video frames; redirects sent "
            f"{stats_of(itext, 'redirects-sent')}")
        assert stats_of(itext, "redirects-sent") >= 1, itext[-3000:]
        assert direct and direct > 100000, stext[-3000:]
        assert intro_bytes < direct / 20, (intro_bytes, direct)
        assert via_server < 10000, via_server


def expect_error(peers, ns, pipeline, name, words, within):
    t0 = time.monotonic()
    p = launch(peers, ns, pipeline, name)
    rc, text = finish(peers, p, within + 10, expect_ok=False)
    took = time.monotonic() - t0
    err = gst.error_of(text)
    assert rc != 0 and err, text[-3000:]
    for w in words:
        assert w in text, f"'{w}' not in:\n{text[-3000:]}"
    assert took < within, f"took {took:.1f} s"
    log(f"{name}: failed as expected in {took:.1f} s: {err}")
    return text


def case_error_no_answer():
    """Nobody answers on the server's port: a clear error once timeout
    (2 s) passed."""
    with Peers("rtmfp-noanswer") as peers, Netns("noanswer") as ns:
        port = free_port()
        expect_error(peers, ns, f"rtmfpsrc location=rtmfp://127.0.0.1:{port}/live/x "
                     "timeout=2 ! fakesink", "src",
                     ["did not answer in time", "no answer from the RTMFP server"], 6)


def case_error_refused():
    """A listener for app 'live' refuses a connect to app 'other': the error
    carries the server's code."""
    with Peers("rtmfp-refused") as peers, Netns("refused") as ns:
        port = free_port()
        listen_src(peers, ns, port, peers.path("x.flv"))
        media = make_flv(peers, seconds=1)
        text = expect_error(peers, ns, f"filesrc location={media} ! rtmfpsink "
                            f"location=rtmfp://127.0.0.1:{port}/other/x", "sink",
                            ["NetConnection.Connect.Rejected", "refused the connection",
                             "no application 'other' here"], 8)
        assert "NetConnection.Connect.Rejected" in gst.error_of(text), text[-2000:]


def case_error_unknown_peer():
    """Playing from a peer ID the server does not know fails at once."""
    with Peers("rtmfp-unknown") as peers, Netns("unknown") as ns:
        port = free_port()
        listen_src(peers, ns, port, peers.path("x.flv"))
        expect_error(peers, ns, f"rtmfpsrc mode=peer location=rtmfp://127.0.0.1:{port}"
                     f"/live/cam peer-id={secrets.token_hex(32)} ! fakesink", "src",
                     ["knows no peer", "unknown peer ID"], 6)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_rtmfp.py " + "|".join(sorted(CASES)))
        sys.exit(2)
    CASES[sys.argv[1]]()
