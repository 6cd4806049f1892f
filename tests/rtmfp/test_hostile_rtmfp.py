#!/usr/bin/env python3
"""Hostile RTMFP peers: rtmfpsrc mode=listen (run by tests/hostile/gstrun.py:
bus errors, peak RSS, clean stop) takes a good publisher's live stream
(rtmfpsink, 200 frames at 25 fps) while it is attacked:

  proxy-corrupt  the publisher goes through a UDP proxy that adds, for each
                 of its datagrams, a copy with a flipped bit, one with a
                 random session ID, one cut to a length that is not whole
                 AES blocks
  proxy-replay   the proxy sends each datagram three times and one old
                 datagram of the session again: every frame once
  packets        rtmfp-attack opens sessions of its own, without and with
                 HMAC and session sequence numbers, and sends bad HMACs,
                 bad checksums, garbage padding, forged session IDs and
                 replays: dropped, its session still answers pings, a
                 replay is rejected when sequence numbers are negotiated
  ihello-flood   IHellos from 5000 addresses of 127.0.0.0/8: answered
                 statelessly, memory flat
  incomplete     two sessions, each sending 8 messages that never end:
                 at most RTMFP_MAX_STRANGER_BUFFERED held per session

Each case asserts that the good publisher's frames all arrived, once, that
the listener did not fail, kept a bounded peak RSS and stopped cleanly, and
reports its figures on stderr (docs/reliability.md).

Usage: test_hostile_rtmfp.py CASE
"""

import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hostile"))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import gst  # noqa: E402
from harness import (Peers, Run, check_rss, expect_clean_stop, log,  # noqa: E402
                     need, report, skip, tail, wait_until)
from peers import free_port, listening  # noqa: E402

FRAMES = 200  # the good publisher's video frames, 25 per second
ATTACK = os.environ.get("RTMFP_ATTACK")


def start_listener(peers, port, timeout=40):
    run = Run(peers, f"rtmfpsrc name=src mode=listen location=rtmfp://127.0.0.1:{port}/live "
              "! fakesink name=out sync=false", "listen", timeout, count=["out"])
    wait_until(lambda: listening(port, "udp"), 10, f"UDP port {port}", run.proc)
    return run


def start_publisher(peers, port, name="good"):
    """A live stream: FRAMES H.264 frames, one FLV tag each."""
    need("gst-launch-1.0")
    pipeline = (f"videotestsrc is-live=true num-buffers={FRAMES} ! "
                "video/x-raw,width=160,height=120,framerate=25/1 ! "
                "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=200 ! "
                "h264parse ! flvmux streamable=true ! "
                f"rtmfpsink location=rtmfp://127.0.0.1:{port}/live/cam")
    return peers.start(["gst-launch-1.0", "-e"] + pipeline.split(), name,
                       env=gst.env({"GST_DEBUG": "rtmfp*:3"}))


def stats(run):
    """The listener's stats property, as a dict of its integer fields."""
    n = len(run.all("stats"))
    run.send("stats src")
    run.wait_event(lambda e: e.get("type") == "stats" and len(run.all("stats")) > n, 5,
                   "stats")
    return parse_stats(run.all("stats")[-1]["structure"])


def parse_stats(text):
    text = (text or "").split("sessions-info")[0]
    return {k: int(v) for k, v in re.findall(r"([a-z0-9-]+)=\(g?u?int(?:64)?\)(\d+)", text)}


def last_posted_stats(run):
    """The last rtmfp-stats message the listener posted (at the end)."""
    msgs = [e["structure"] for e in run.all("element")
            if (e.get("structure") or "").startswith("rtmfp-stats")]
    return parse_stats(msgs[-1]) if msgs else {}


def finish(peers, run, pub, what):
    """The publisher ends its stream; the listener outputs it and stops at
    EOS. Checks every frame arrived exactly once."""
    rc = peers.wait(pub, 40, "good publisher")
    assert rc == 0, f"good publisher failed ({rc}):\n{tail(pub.logpath)}"
    status = run.wait(20)
    assert status == 0, f"listener ended with {status}: {run.events[-6:]}\n{tail(run.logpath)}"
    assert not run.first("error"), run.first("error")
    out = run.end["counts"]["out"]
    # a clean run outputs FRAMES + 9 buffers (the FLV header, onMetaData,
    # the AVC sequence header and the frames), once in a while one more,
    # also without an attack (not explained yet); a replay that got
    # through would add hundreds
    assert FRAMES <= out <= FRAMES + 10, f"{what}: {out} buffers for {FRAMES} frames"
    expect_clean_stop(run)
    return out


# ---- a UDP proxy for the good publisher -----------------------------------

class Proxy:
    """Forwards a client's datagrams to the listener and the answers back;
    @mangle(datagram, history) returns the extra datagrams to send the
    listener after each of the client's."""

    def __init__(self, target_port, mangle):
        self.target = ("127.0.0.1", target_port)
        self.mangle = mangle
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.client = None
        self.history = []
        self.forwarded = self.extra = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for s in r:
                data, addr = s.recvfrom(65536)
                if s is self.front:
                    self.client = addr
                    self.back.sendto(data, self.target)
                    self.forwarded += 1
                    for d in self.mangle(data, self.history):
                        self.back.sendto(d, self.target)
                        self.extra += 1
                    self.history.append(data)
                    del self.history[:-500]
                elif self.client:
                    self.front.sendto(data, self.client)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.front.close()
        self.back.close()


def corrupt(data, history):
    out = []
    flipped = bytearray(data)
    i = random.randrange(4, len(data))
    flipped[i] ^= 1 << random.randrange(8)
    out.append(bytes(flipped))
    out.append(os.urandom(4) + data[4:])
    if len(data) > 21:
        out.append(data[:len(data) - random.randrange(1, 16)])
    return out


def replay(data, history):
    out = [data, data]
    if history:
        out.append(random.choice(history))
    return out


def run_proxy(case, mangle, label):
    with Peers(f"rtmfp-hostile-{case}") as peers:
        port = free_port(socket.SOCK_DGRAM)
        run = start_listener(peers, port)
        proxy = Proxy(port, mangle)
        pub = start_publisher(peers, proxy.port)
        out = finish(peers, run, pub, case)
        st = last_posted_stats(run)
        proxy.close()
        check_rss(run, 120, case)
        return run, proxy, st, out


def case_proxy_corrupt():
    """Each of the publisher's datagrams followed by a copy with a flipped
    bit, one with a random session ID and one cut short."""
    run, proxy, st, out = run_proxy("proxy-corrupt", corrupt, "corrupt")
    log(f"  forwarded {proxy.forwarded}, corrupted copies {proxy.extra}, stats {st}")
    # the last figures are posted as the publisher leaves: the last few
    # copies may come after them
    assert st["dropped"] >= proxy.extra * 0.9, (st, proxy.extra)
    report("corrupted copies of a publisher's datagrams (flipped bit, random session ID, "
           "cut short)", f"all dropped, {out} buffers for {FRAMES} frames", run,
           corrupted=proxy.extra, dropped=st.get("dropped"),
           checksum=st.get("dropped-checksum"), unknown_session=st.get("dropped-unknown-session"))


def case_proxy_replay():
    """Each datagram three times and an old one again: every frame once."""
    run, proxy, st, out = run_proxy("proxy-replay", replay, "replay")
    log(f"  forwarded {proxy.forwarded}, replayed {proxy.extra}, stats {st}")
    report("a publisher's datagrams sent 3 times and old ones replayed (no sequence "
           "numbers negotiated: the flows' sequence numbers dedupe)",
           f"{out} buffers for {FRAMES} frames: no duplicate", run, replayed=proxy.extra)


# ---- rtmfp-attack ---------------------------------------------------------

def attack(peers, port, *args, timeout=30):
    if not ATTACK or not os.path.exists(ATTACK):
        skip("rtmfp-attack is not built (RTMFP_ATTACK)")
    p = subprocess.run([ATTACK, str(port)] + [str(a) for a in args], capture_output=True,
                       timeout=timeout, env=gst.env())
    lines = [ln for ln in p.stdout.decode().splitlines() if ln.startswith("{")]
    assert p.returncode == 0 and lines, f"rtmfp-attack {args}: {p.returncode}\n" \
        f"{p.stdout.decode()}{p.stderr.decode()[-2000:]}"
    return json.loads(lines[-1])


def with_publisher(case, attacks, rss_mb=120):
    """The listener, the good publisher, then @attacks(peers, port) while
    it streams; returns what the attacks returned and the run."""
    with Peers(f"rtmfp-hostile-{case}") as peers:
        port = free_port(socket.SOCK_DGRAM)
        run = start_listener(peers, port)
        pub = start_publisher(peers, port)
        # the publisher is in: its session is there
        wait_until(lambda: stats(run).get("sessions", 0) >= 1, 10, "the good publisher")
        t0 = time.monotonic()
        res = attacks(peers, port)
        took = time.monotonic() - t0
        assert pub.poll() is None, "the stream ended before the attacks did: make it longer"
        st = stats(run)
        out = finish(peers, run, pub, case)
        check_rss(run, rss_mb, case)
        return run, res, st, out, took


def case_packets():
    """Sessions of an attacker, without and with HMAC and sequence numbers:
    bad HMACs and checksums, garbage padding, forged session IDs and
    replays are dropped and its session lives on."""
    def attacks(peers, port):
        return [attack(peers, port, "packets", "-n", 300),
                attack(peers, port, "packets", "-H", "-n", 300),
                attack(peers, port, "packets", "-H", "-S", "-n", 300)]
    run, res, st, out, took = with_publisher("packets", attacks)
    for r in res:
        log(f"  {r}")
        assert r["open"] and r["pongs_before"] == 3 and r["pongs_after"] == 3, r
        # the ping before the garbage is answered, the garbage ignored
        assert r["garbage_pongs"] == 300, r
        if r["sseq"]:
            assert r["replay_pongs"] == 1, r
    log(f"  listener stats {st}")
    assert st["dropped-hmac"] >= 300 + 300, st
    assert st["dropped-replay"] >= 299, st
    assert st["dropped-checksum"] + st["dropped-unknown-session"] >= 600, st
    report("bad HMAC, bad checksum, garbage padding, forged session IDs, replays "
           "(3 sessions x 1500 datagrams)",
           f"dropped, attacker's sessions still answer, good publisher {out} buffers", run,
           hmac=st["dropped-hmac"], checksum=st["dropped-checksum"],
           unknown_session=st["dropped-unknown-session"], replay=st["dropped-replay"],
           seconds=f"{took:.1f}")


def case_ihello_flood():
    """IHellos from 5000 addresses: each answered with a stateless cookie;
    the listener keeps nothing."""
    def attacks(peers, port):
        return attack(peers, port, "ihello-flood", 5000)
    run, res, st, out, took = with_publisher("ihello-flood", attacks)
    log(f"  {res}; listener stats {st}")
    assert res["bind_failures"] == 0, res
    assert res["rhellos"] >= 4900, res
    assert st["sessions"] == 1, st
    report("IHello flood from 5000 addresses of 127.0.0.0/8",
           f"answered statelessly ({res['rhellos']} RHellos in {res['seconds']} s), no "
           f"state kept, good publisher {out} buffers", run)


def case_incomplete():
    """Two sessions sending 8 messages each that never end, at 40 Mbit/s
    for 4 s: held at most 1 MB each, then dropped unacknowledged."""
    def attacks(peers, port):
        res = []
        threads = [threading.Thread(target=lambda: res.append(attack(
            peers, port, "incomplete", "-f", 8, "-t", 4, "-r", 40000))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return res
    run, res, st, out, took = with_publisher("incomplete", attacks, rss_mb=100)
    for r in res:
        log(f"  {r}")
        assert r["open"] and r["pongs_after"] == 3, r
    log(f"  listener stats {st}")
    assert st["fragments-dropped-limit"] > 0, st
    sent = sum(r["bytes"] for r in res)
    report("messages that never end (2 sessions x 8 flows, 40 Mbit/s each, 4 s)",
           f"{sent >> 20} MB sent, at most 1 MB held a session, the rest dropped "
           f"unacknowledged; good publisher {out} buffers", run,
           dropped_fragments=st["fragments-dropped-limit"])


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_hostile_rtmfp.py " + "|".join(sorted(CASES)))
        sys.exit(2)
    need("gst-launch-1.0")
    subprocess.run(["gst-inspect-1.0", "rtmfpsrc"], env=gst.env(), capture_output=True)
    CASES[sys.argv[1]]()
