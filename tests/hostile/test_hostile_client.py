#!/usr/bin/env python3
"""Hostile clients: rtmpesrc and rtmpesink in listen mode, attacked by
small clients written for the purpose (rtmpfake.py) while a well-behaved
publisher or player uses the same listener. Each case asserts that every
attacker is dropped (or, where the attack is harmless, ignored), that the
good peer loses nothing and is not stalled, that the listener process did
not crash and kept a bounded peak RSS, and that it stops cleanly.

Usage: test_hostile_client.py CASE   (see CASES at the bottom)
"""

import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtmpfake as rf  # noqa: E402
from harness import (MEDIA, SANITIZED, Peers, Run, check_rss, expect_clean_stop,  # noqa: E402
                     log, main, report, wait_until)
from peers import free_port, wait_port  # noqa: E402

TAGS = rf.flv_tags(MEDIA)
# the listener's timeout property: handshake and connect. Under the
# sanitizers the listener's one thread runs several times slower while
# the attackers keep it busy, and a good peer's connect was seen to miss
# 3 s (in the code before this session too): the bounds below scale with it
TIMEOUT = 6 if SANITIZED else 3
# how late the listener's timer may fire while attackers keep its thread
# busy: seen up to 4 s late under the sanitizers with four of these tests
# on two cores
LATE = 6 if SANITIZED else 2.5


def closed_by_peer(sock, within):
    """Seconds until the listener closed @sock (EOF or reset), reading and
    discarding what it sends meanwhile; None if still open after
    @within."""
    t0 = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - t0 < within:
        try:
            if not sock.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def handshaken(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    rf.client_handshake(s)
    return s


def connected(port, app="live"):
    s = handshaken(port)
    c = rf.Conn(s)
    rf.client_connect(c, app, f"rtmp://127.0.0.1:{port}/{app}")
    return c


# ---- attacks: each returns a line saying what happened; raises if the
# ---- listener did not defend itself

def attack_slowloris(port):
    """The handshake, one byte a second: dropped at the timeout."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < TIMEOUT + LATE + 2.5:
        try:
            s.send(b"\x03" if sent == 0 else b"\x00")
            sent += 1
        except OSError:
            break
        try:
            if s.recv(1) == b"":
                break
        except BlockingIOError:
            pass
        except OSError:
            break
        time.sleep(1)
    took = time.monotonic() - t0
    s.close()
    assert took < TIMEOUT + LATE, f"slowloris kept for {took:.1f} s"
    return f"slowloris (1 byte/s): dropped after {took:.1f} s and {sent} bytes"


def attack_half_open(port):
    """TCP connected, not a byte sent: dropped at the timeout."""
    s = socket.create_connection(("127.0.0.1", port))
    took = closed_by_peer(s, TIMEOUT + LATE + 2.5)
    s.close()
    assert took is not None and took < TIMEOUT + LATE - 0.5, took
    return f"silent connection: dropped after {took:.1f} s"


def attack_csid_storm(port):
    """After the handshake, 3000 chunk streams: dropped at 64 (the cap for
    a peer that has not been accepted as a publisher)."""
    s = handshaken(port)
    out = bytearray()
    for i, csid in enumerate(range(64, 64 + 3000)):
        out += rf.chunk_message(csid, 0x1F, 0, i, b"\0\0\0\0")
    try:
        s.sendall(bytes(out))
    except OSError:
        pass
    took = closed_by_peer(s, 5)
    s.close()
    assert took is not None, "not dropped"
    return f"3000 chunk stream ids: dropped after {took:.2f} s"


def attack_big_pending(port):
    """Before connect, a message announced at 16 MB: dropped at once (1 MB
    of partial messages for a peer that is not a publisher)."""
    s = handshaken(port)
    head = rf.basic_header(0, 8) + b"\0\0\0" + struct.pack(">I", 0xFFFFFF)[1:] + \
        bytes([rf.VIDEO]) + struct.pack("<I", 1)
    try:
        s.sendall(head + b"\0" * 128)
    except OSError:
        pass
    took = closed_by_peer(s, 5)
    s.close()
    assert took is not None, "not dropped"
    return f"16 MB message before connect: dropped after {took:.2f} s"


def attack_amf_deep(port):
    """connect whose command object is nested 10,000 deep: dropped."""
    s = handshaken(port)
    payload = rf.amf0_all("connect", 1.0) + rf.amf0_nested(10000)
    s.sendall(rf.chunk_message(3, rf.COMMAND_AMF0, 0, 0, payload))
    took = closed_by_peer(s, 5)
    s.close()
    assert took is not None, "not dropped"
    return f"connect nested 10,000 deep: dropped after {took:.2f} s"


def attack_amf_string(port):
    """connect with a string whose length runs past the message: dropped."""
    s = handshaken(port)
    payload = rf.amf0_all("connect", 1.0) + b"\x03\x00\x03app\x02\xff\xff" + b"live"
    s.sendall(rf.chunk_message(3, rf.COMMAND_AMF0, 0, 0, payload))
    took = closed_by_peer(s, 5)
    s.close()
    assert took is not None, "not dropped"
    return f"connect with an overlong string: dropped after {took:.2f} s"


def attack_rtmpe_keys(port):
    """RTMPE C1 with a valid digest and a DH public key of 0, 1 and p-1:
    each refused before any S0 is sent."""
    out = []
    for key, label in ((0, "0"), (1, "1"), (rf.DH_P - 1, "p-1")):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(rf.client_c0c1_rtmpe_bad_key(key))
        got = b""
        s.settimeout(5)
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
        except OSError:
            pass
        s.close()
        assert len(got) < 1 + 1536, f"key {label}: the listener answered {len(got)} bytes"
        out.append(label)
    return f"RTMPE keys {', '.join(out)}: each refused, no S0 sent"


def attack_create_stream_flood(port):
    """createStream after createStream, never reading the answers: the
    listener stops reading this peer (its send blocks) instead of queueing
    answers without end."""
    c = connected(port)
    one = rf.chunk_message(3, rf.COMMAND_AMF0, 0, 0, rf.amf0_all("createStream", 2.0, None))
    blob = one * 2000
    c.sock.settimeout(2)
    sent = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 6:
            c.sock.sendall(blob)
            sent += len(blob)
    except (socket.timeout, OSError):
        pass
    c.sock.close()
    assert sent < 64 << 20, f"the listener read {sent} bytes of requests"
    return f"createStream flood without reading: held off after {sent / 1e6:.1f} MB sent"


def attack_media_before_publish(port, stream="cam"):
    """createStream, then media on that stream without publish: ignored;
    then a publish of the stream being published: refused."""
    c = connected(port)
    c.command("createStream", 2, None)
    _, _, args, _ = c.recv_command({"_result"})
    sid = int(args[1])
    for t, ts, body in TAGS * 3:
        c.send(t, body, msid=sid, ts=ts)
    c.command("publish", 0, None, stream, "live", msid=sid)
    _, _, args, _ = c.recv_command({"onStatus"})
    code = args[1]["code"]
    c.sock.close()
    assert code == "NetStream.Publish.BadName", code
    return f"{3 * len(TAGS)} media messages before publish: ignored; publish then refused ({code})"


def publisher(port, loops, result, stream="cam", pace=True):
    """A well-behaved publisher: the test media @loops times, paced in real
    time, then FCUnpublish/deleteStream."""
    try:
        c, sid = rf.open_client(port, stream=stream)
        result["started"] = time.monotonic()
        sent = 0
        for loop in range(loops):
            base = loop * (TAGS[-1][1] + 40)
            t0 = time.monotonic()
            for t, ts, body in TAGS:
                if loop and (t == rf.DATA_AMF0 or (len(body) > 1 and body[1] == 0 and
                                                   (t == rf.VIDEO or body[0] >> 4 == 10))):
                    continue
                if pace:
                    wait = ts / 1000 - (time.monotonic() - t0)
                    if wait > 0:
                        time.sleep(wait)
                c.send(t, body, msid=sid, ts=base + ts)
                sent += 1
        c.command("FCUnpublish", 3, None, stream)
        c.command("deleteStream", 4, None, float(sid))
        time.sleep(0.3)
        c.sock.close()
        result["sent"] = sent
    except Exception as e:  # noqa: BLE001
        result["error"] = repr(e)


def run_attacks(port, attacks):
    """Runs each attack in its own thread; returns [(name, line or
    failure)]."""
    results = {}

    def one(fn):
        try:
            results[fn.__name__] = ("ok", fn(port))
        except Exception as e:  # noqa: BLE001
            results[fn.__name__] = ("FAILED", f"{fn.__name__}: {e!r}")
    threads = [threading.Thread(target=one, args=(fn,)) for fn in attacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return [results.get(fn.__name__, ("FAILED", f"{fn.__name__}: did not end"))
            for fn in attacks]


# ---- cases --------------------------------------------------------------------

def case_listen_src_attacks():
    """rtmpesrc mode=listen (rtmpe://, plain and RTMPE accepted): a good
    publisher streams for about 12 s while every attack above runs against
    the same listener. Every frame of the good publisher arrives; every
    attacker is dropped or ignored."""
    with Peers("listen-src-attacks") as peers:
        port = free_port()
        run = Run(peers, f"rtmpesrc name=src mode=listen location=rtmpe://127.0.0.1:{port}/live/cam "
                  f"timeout={TIMEOUT} ! fakesink name=out sync=false", "listen", 60, count=["out"])
        wait_port(port, 10)
        good = {}
        pub = threading.Thread(target=publisher, args=(port, 8, good))
        pub.start()
        wait_until(lambda: "started" in good or "error" in good, 10, "good publisher")
        results = run_attacks(port, [
            attack_slowloris, attack_half_open, attack_csid_storm, attack_big_pending,
            attack_amf_deep, attack_amf_string, attack_rtmpe_keys,
            attack_create_stream_flood, attack_media_before_publish])
        pub.join(60)
        rc = run.wait(30)
        for status, line in results:
            log(f"  {status}: {line}")
        assert "error" not in good, good
        assert all(s == "ok" for s, _ in results), results
        assert rc == 0 and run.first("eos"), run.events[-5:]
        # the FLV header, then one buffer a message
        n = run.end["counts"]["out"]
        assert n == good["sent"] + 1, f"{n} buffers out for {good['sent']} messages sent"
        expect_clean_stop(run)
        check_rss(run, 80, "listen src under attack")
        text = run.log_text()
        for reason in ("over the cap of 64", "over the cap of 1048576", "nested deeper",
                       "exceeds", "public key", f"within {TIMEOUT} s"):
            # what the listener said of each peer it let go, to see why
            # one went another way (seen once under the sanitizers)
            assert reason in text, f"no '{reason}' in the listener's log:\n" + "\n".join(
                line[-300:] for line in text.splitlines()
                if "dropped" in line or "left" in line)
        report("listen src under 9 attacks", f"good publisher: all {good['sent']} messages "
               f"arrived; every attacker dropped or ignored", run)


def case_listen_src_half_open():
    """max-connections=4: three connections that never speak leave room
    for a publisher, which gets in; with four, a fifth is refused at once
    until the timeout drops the silent ones, and then a publisher gets in
    again. (max-connections counts peers still in their handshake: the
    timeout is what frees those slots.)"""
    with Peers("listen-half-open") as peers:
        port = free_port()
        run = Run(peers, f"rtmpesrc name=src mode=listen location=rtmp://127.0.0.1:{port}/live/cam "
                  f"timeout={TIMEOUT} max-connections=4 wait-for-next-publisher=true "
                  "! fakesink name=out sync=false", "listen", 60, count=["out"])
        wait_port(port, 10)
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        time.sleep(0.2)
        good = {}
        publisher(port, 1, good)
        assert "error" not in good and good.get("sent"), good
        log(f"  3 silent connections of 4: a publisher got in, sent {good['sent']}")

        # four fresh silent connections: 4 of 4
        for sock in idle:
            sock.close()
        time.sleep(0.3)
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        time.sleep(0.2)
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", port))
        took = closed_by_peer(s, 2)
        s.close()
        assert took is not None and took < 1, f"a fifth connection was not refused: {took}"
        log(f"  4 silent connections of 4: a fifth refused after {took:.2f} s")
        for sock in idle:
            assert closed_by_peer(sock, TIMEOUT + LATE + 0.5) is not None, \
                "silent peer not dropped"
            sock.close()
        freed = time.monotonic() - t0
        good2 = {}
        publisher(port, 1, good2)
        assert "error" not in good2 and good2.get("sent"), good2
        log(f"  after {freed:.1f} s the silent ones were dropped; a publisher got in again")
        run.null()
        run.wait(10)
        n = run.end["counts"]["out"]
        assert n >= good["sent"] + good2["sent"], (n, good, good2)
        expect_clean_stop(run)
        report("max-connections=4 with silent connections",
               "publisher gets in while a slot is free; refused at once when full; "
               f"slots freed by the {TIMEOUT} s timeout", run)


def player(port, seconds, result, stream="live"):
    """A well-behaved player: counts video messages and the longest gap
    between two of them after the first key frame."""
    try:
        c, sid = rf.open_client(port, stream=stream, publish=False)
        t_end = time.monotonic() + seconds
        last = None
        gaps = []
        n = 0
        while time.monotonic() < t_end:
            m = c.recv_msg(5)
            if m[0] != rf.VIDEO:
                continue
            now = time.monotonic()
            if last is None and not (m[3][0] >> 4 == 1 and m[3][1] == 1):
                continue  # the codec configuration, before the first key frame
            if last is not None:
                gaps.append(now - last)
            last = now
            n += 1
        c.sock.close()
        result["video"] = n
        result["max_gap"] = max(gaps) if gaps else None
    except Exception as e:  # noqa: BLE001
        result["error"] = repr(e)


def player_process(peers, port, seconds):
    """The good player in a process of its own, so that the attackers'
    threads cannot delay it; returns a function giving its result."""
    p = peers.start([sys.executable, os.path.abspath(__file__), "--player", str(port),
                     str(seconds)], "good-player")

    def result():
        peers.wait(p, seconds + 20, "good player")
        with open(p.logpath) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {"error": "no result"}
    return result


def attack_deaf_player(port):
    """A player that plays and then never reads: what it cannot take is
    skipped for it (at most 4 MB waits for one player), and the others go
    on (the good player's gaps are checked by the case)."""
    c, _ = rf.open_client(port, stream="live", publish=False)
    time.sleep(12)
    c.sock.close()
    return "player that never reads for 12 s: its frames skipped, the others unaffected"


def case_listen_sink_attacks():
    """rtmpesink mode=listen serving a live stream: a good player watches
    for 14 s while attackers flood createStream, jump chunk streams, nest
    AMF, trickle the handshake, and one player never reads. The good
    player gets a continuous stream (no gap over 1 s)."""
    with Peers("listen-sink-attacks") as peers:
        port = free_port()
        pipeline = ("videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! "
                    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=200 ! "
                    "h264parse ! flvmux streamable=true ! "
                    f"rtmpesink name=sink mode=listen location=rtmp://127.0.0.1:{port}/live/live "
                    f"timeout={TIMEOUT}")
        run = Run(peers, pipeline, "listen-sink", 60)
        wait_port(port, 10)
        good_result = player_process(peers, port, 14)
        time.sleep(1)
        results = run_attacks(port, [
            attack_slowloris, attack_csid_storm, attack_amf_deep,
            attack_create_stream_flood, attack_deaf_player])
        good = good_result()
        run.null()
        run.wait(10)
        for status, line in results:
            log(f"  {status}: {line}")
        assert "error" not in good, good
        assert all(s == "ok" for s, _ in results), results
        # 14 s at 25 fps, from the first key frame
        assert good["video"] >= 25 * 12, good
        assert good["max_gap"] < 0.5, good
        expect_clean_stop(run)
        check_rss(run, 120, "listen sink under attack")
        report("listen sink under 5 attacks", f"good player: {good['video']} frames, longest "
               f"gap {good['max_gap'] * 1000:.0f} ms; every attacker dropped", run)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--player":
        res = {}
        player(int(sys.argv[2]), float(sys.argv[3]), res)
        print(json.dumps(res), flush=True)
        sys.exit(0)
    main(CASES, sys.argv)
