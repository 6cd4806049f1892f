#!/usr/bin/env python3
"""Hostile servers: rtmpesrc (playing) and rtmpesink (publishing) in client
mode against small servers written to attack them (rtmpfake.py). Each case
asserts what the user sees (the error on the bus with its domain, code and
message, or a stream that goes on), that the process did not crash, that
set_state(NULL) was quick and left no thread, and that its peak RSS stayed
bounded.

Usage: test_hostile_server.py CASE   (see CASES at the bottom)
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtmpfake as rf  # noqa: E402
from harness import (MEDIA, Peers, Run, check_rss, expect_clean_stop,  # noqa: E402
                     expect_error, main, report)

TAGS = rf.flv_tags(MEDIA)
N_VIDEO = sum(1 for t in TAGS if t[0] == rf.VIDEO)
N_AUDIO = sum(1 for t in TAGS if t[0] == rf.AUDIO)


def play_pipeline(url, extra=""):
    return f"rtmpesrc name=src location={url} timeout=5 {extra} ! fakesink name=out sync=false"


def publish_pipeline(url, extra=""):
    return f"filesrc location={MEDIA} ! rtmpesink name=sink location={url} timeout=5 " \
           f"sync=false {extra}"


def end_play(conn):
    """StreamEOF and Play.Stop: the src's end of stream."""
    conn.user_control(1, 1)
    conn.status(1, "NetStream.Play.Stop")


def serve_media_then_eos(conn, srv=None, before_media=None, after_media=None):
    rf.server_handshake(conn.sock)
    rf.serve_until_started(conn)
    if before_media:
        before_media(conn)
    rf.send_flv(conn, TAGS, 1)
    if after_media:
        after_media(conn)
        rf.send_flv(conn, TAGS, 1, ts_offset=TAGS[-1][1] + 40)
    end_play(conn)
    # wait for the element to go
    try:
        while conn.recv_msg(10):
            pass
    except (ConnectionError, TimeoutError, OSError):
        pass


def play_against(handler, name, timeout=20, extra=""):
    with Peers(name) as peers:
        srv = rf.FakeServer(handler)
        run = Run(peers, play_pipeline(srv.url(), extra), "src", timeout, count=["out"])
        run.wait(timeout + 10)
        srv.close()
        return run


def assert_played(run, video, what):
    """EOS, every buffer of @video video tags at least (counted as buffers
    out of the src: FLV header, tags)."""
    assert run.first("eos"), f"{what}: no EOS: {run.events[-5:]}"
    assert not run.first("error"), run.first("error")
    n = run.end["counts"]["out"]
    assert n >= video, f"{what}: {n} buffers, wanted at least {video}"
    return n


# ---- cases --------------------------------------------------------------------

def case_baseline():
    """An honest fake server: the src plays everything to EOS, the sink
    publishes everything. The peak RSS here is the yardstick for the rest."""
    run = play_against(serve_media_then_eos, "baseline")
    n = assert_played(run, N_VIDEO + N_AUDIO, "baseline")
    expect_clean_stop(run)
    mb = check_rss(run, 80, "baseline play")
    report("baseline play", f"EOS after {n} buffers", run)

    got = []

    def sink_server(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_until_started(conn)
        try:
            while True:
                m = conn.recv_msg(10)
                if m[0] in (rf.AUDIO, rf.VIDEO):
                    got.append(m[0])
                elif m[0] == rf.COMMAND_AMF0 and b"deleteStream" in m[3]:
                    break
        finally:
            conn.sock.close()

    with Peers("baseline-sink") as peers:
        srv = rf.FakeServer(sink_server)
        run = Run(peers, publish_pipeline(srv.url()), "sink", 20)
        assert run.wait(30) == 0, run.events[-5:]
        srv.close()
    assert len(got) == N_VIDEO + N_AUDIO, (len(got), N_VIDEO + N_AUDIO)
    expect_clean_stop(run)
    report("baseline publish", f"all {len(got)} media messages arrived", run)
    return mb


def case_chunk_size_max():
    """Set Chunk Size 0x7FFFFFFF (the largest the spec allows) before the
    connect result: accepted; the stream plays to the end."""
    def handler(conn, srv):
        serve_media_then_eos(conn)
    # the fake server announces the chunk size in serve_connect
    orig = rf.serve_connect

    def serve_connect(conn, **kw):
        kw["chunk_size"] = 0x7FFFFFFF
        return orig(conn, **kw)
    rf.serve_connect = serve_connect
    try:
        run = play_against(handler, "chunk-size-max")
    finally:
        rf.serve_connect = orig
    n = assert_played(run, N_VIDEO + N_AUDIO, "chunk size 0x7FFFFFFF")
    expect_clean_stop(run)
    check_rss(run, 80, "chunk size max")
    report("chunk size 0x7FFFFFFF", f"accepted, EOS after {n} buffers", run)


def case_chunk_size_invalid():
    """Set Chunk Size 0, then 0x80000000 (a server's): a protocol error that
    says so, at once."""
    for value in (0, 0x80000000):
        def handler(conn, srv, value=value):
            rf.server_handshake(conn.sock)
            rf.serve_until_started(conn)
            conn.send(rf.SET_CHUNK_SIZE, struct.pack(">I", value))
            rf.send_flv(conn, TAGS, 1)
            time.sleep(5)
        run = play_against(handler, f"chunk-size-{value:x}")
        expect_error(run, "stream", "DECODE", "breaks the RTMP protocol", "chunk size")
        expect_clean_stop(run)
        check_rss(run, 80, "chunk size invalid")
        report(f"chunk size {value:#x}", "error STREAM DECODE: " + run.first("error")["debug"].splitlines()[-1],
               run)


def case_huge_message():
    """A video message of 0xFFFFFF bytes (the largest the 24-bit field can
    say) in 1-byte chunks, 33 MB on the wire: read whole, passed on, and
    the stream goes on; memory stays near one copy of the message."""
    def big(conn):
        conn.control(rf.SET_CHUNK_SIZE, 1)
        conn.chunk_size = 1
        n = 0xFFFFFF
        # a video tag body: AVC inter frame, NALU, then filler
        body = bytes([0x27, 0x01, 0, 0, 0]) + b"\0" * (n - 5)
        head = rf.basic_header(0, 6) + struct.pack(">I", 2000)[1:] + \
            struct.pack(">I", n)[1:] + bytes([rf.VIDEO]) + struct.pack("<I", 1)
        conn.send_raw(head + body[:1])
        # every continuation chunk: a type 3 header (csid 6) and one byte
        conn.send_raw(bytes([0xC6, 0x00]) * (n - 1))
        conn.control(rf.SET_CHUNK_SIZE, 4096)
        conn.chunk_size = 4096

    def handler(conn, srv):
        serve_media_then_eos(conn, after_media=big)
    t0 = time.monotonic()
    run = play_against(handler, "huge-message", timeout=60)
    n = assert_played(run, 2 * (N_VIDEO + N_AUDIO) + 1, "16 MB message")
    expect_clean_stop(run)
    mb = check_rss(run, 150, "16 MB message")
    report("message 0xFFFFFF in 1-byte chunks", f"read whole and passed on, EOS after {n} "
           f"buffers", run, seconds=round(time.monotonic() - t0, 1))
    return mb


def case_pending_flood():
    """Messages of 0xFFFFFF bytes begun on one chunk stream after another
    and never finished: refused once 64 MB of partial messages are
    announced (rtmplimits.h), before that memory is used."""
    def handler(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_until_started(conn)
        conn.control(rf.SET_CHUNK_SIZE, 1024)
        conn.chunk_size = 1024
        for csid in range(10, 30):
            head = rf.basic_header(0, csid) + b"\0\0\0" + struct.pack(">I", 0xFFFFFF)[1:] + \
                bytes([rf.VIDEO]) + struct.pack("<I", 1)
            conn.send_raw(head + b"\x27" * 1024)
        time.sleep(5)
    run = play_against(handler, "pending-flood")
    expect_error(run, "stream", "DECODE", "breaks the RTMP protocol", "over the cap")
    expect_clean_stop(run)
    # the 64 MB announced are allocated (and touched under meson's
    # MALLOC_PERTURB_) before the cap refuses the fifth message
    check_rss(run, 80 + 64, "pending flood")
    report("partial 16 MB messages on 20 chunk streams", "error STREAM DECODE: " +
           run.first("error")["debug"].splitlines()[-1], run)


def case_csid_storm():
    """Chunk stream ids that jump around: thousands of them, each carrying
    one small message. Up to 1024 streams with state are kept
    (RTMP_MAX_CHUNK_STREAMS); the next is a protocol error."""
    def handler(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_until_started(conn)
        out = bytearray()
        ids = list(range(64, 65599, 13))[:5000]
        for i, csid in enumerate(ids):
            # an Acknowledgement-sized unknown message type (0x1F): ignored
            out += rf.chunk_message(csid, 0x1F, 0, i, b"\0\0\0\0")
        conn.send_raw(bytes(out))
        rf.send_flv(conn, TAGS, 1)
        end_play(conn)
        time.sleep(5)
    run = play_against(handler, "csid-storm")
    expect_error(run, "stream", "DECODE", "breaks the RTMP protocol", "over the cap of 1024")
    expect_clean_stop(run)
    check_rss(run, 80, "csid storm")
    report("5000 chunk stream ids", "error STREAM DECODE: " + run.first("error")["debug"].splitlines()[-1], run)


def case_amf_deep():
    """The connect _result is an object nested 10,000 deep: refused at AMF
    depth 64 without deep recursion."""
    res = rf.amf0_all("_result", 1.0) + rf.amf0_nested(10000)

    def handler(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_connect(conn, connect_result=res)
        time.sleep(5)
    run = play_against(handler, "amf-deep")
    expect_error(run, "stream", "DECODE", "breaks the RTMP protocol", "deep")
    expect_clean_stop(run)
    check_rss(run, 80, "amf deep")
    report("AMF nested 10,000 deep in _result", "error STREAM DECODE: " +
           run.first("error")["debug"].splitlines()[-1], run)


def case_amf_string_overflow():
    """A string in the _result whose length runs past the message."""
    res = rf.amf0_all("_result", 1.0, None) + b"\x03\x00\x04code\x02\xff\xf0" + b"x" * 40

    def handler(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_connect(conn, connect_result=res)
        time.sleep(5)
    run = play_against(handler, "amf-string")
    expect_error(run, "stream", "DECODE", "breaks the RTMP protocol", "exceeds")
    expect_clean_stop(run)
    check_rss(run, 80, "amf string")
    report("AMF string longer than its message", "error STREAM DECODE: " +
           run.first("error")["debug"].splitlines()[-1], run)


def case_rtmpe_bad_key():
    """RTMPE S1 whose digest verifies (FMS key) and whose DH public key is
    0, 1 or p-1, at the digest-first and at the key-first offset, with a
    properly signed S2: the key check refuses each."""
    for layout in ("digest-first", "key-first"):
        for key, label in ((0, "0"), (1, "1"), (rf.DH_P - 1, "p-1")):
            def handler(conn, srv, key=key, layout=layout):
                rf.server_handshake_rtmpe_bad_key(conn.sock, key, layout)
                time.sleep(5)
            with Peers(f"rtmpe-key-{label}") as peers:
                srv = rf.FakeServer(handler)
                run = Run(peers, play_pipeline(srv.url(scheme="rtmpe")), "src", 20,
                          count=["out"])
                run.wait(30)
                srv.close()
            assert not srv.errors, srv.errors
            err = expect_error(run, "resource", "OPEN_READ", "RTMP handshake",
                               "public key", within=3)
            expect_clean_stop(run)
            check_rss(run, 80, "rtmpe bad key")
            report(f"RTMPE server key {label} ({layout})",
                   f"error RESOURCE OPEN_READ: {err['message']} ({err['debug'].splitlines()[-1]})", run)


def case_window_ack_1():
    """The server asks for an acknowledgement after every byte (Window Ack
    Size 1) and limits us to a window of 1 (Set Peer Bandwidth 1): the sink
    keeps publishing, every frame arrives, and it acknowledges once per
    read, not per byte; the src plays to the end the same way."""
    got = []
    sent = {}

    def sink_server(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_until_started(conn, window=1, bandwidth=1)
        # some chatter from the server while the sink publishes
        for i in range(20):
            conn.user_control(6, i)   # pings
        sent["messages"] = 20 + 8
        try:
            while True:
                m = conn.recv_msg(10)
                if m[0] in (rf.AUDIO, rf.VIDEO):
                    got.append(m[0])
                elif m[0] == rf.COMMAND_AMF0 and b"deleteStream" in m[3]:
                    break
        finally:
            sent["acks"] = conn.acks_seen
            conn.sock.close()

    with Peers("window-1-sink") as peers:
        srv = rf.FakeServer(sink_server)
        run = Run(peers, publish_pipeline(srv.url()), "sink", 20)
        rc = run.wait(30)
        srv.close()
    assert rc == 0 and run.first("eos"), run.events[-5:]
    assert len(got) == N_VIDEO + N_AUDIO, (len(got), N_VIDEO + N_AUDIO)
    assert 1 <= sent["acks"] <= sent["messages"], sent
    expect_clean_stop(run)
    check_rss(run, 80, "window 1 sink")
    report("Window Ack Size 1 + Set Peer Bandwidth 1 (sink)",
           f"all {len(got)} frames published, {sent['acks']} acknowledgements", run)

    stats = {}

    def play_server(conn, srv):
        rf.server_handshake(conn.sock)
        rf.serve_until_started(conn, window=1, bandwidth=1)
        rf.send_flv(conn, TAGS, 1)
        end_play(conn)
        try:
            while conn.recv_msg(5):
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass
        stats["acks"] = conn.acks_seen
    run = play_against(play_server, "window-1-src")
    n = assert_played(run, N_VIDEO + N_AUDIO, "window 1 src")
    assert 1 <= stats["acks"] <= len(TAGS) + 10, stats
    expect_clean_stop(run)
    report("Window Ack Size 1 (src)", f"EOS after {n} buffers, {stats['acks']} "
           f"acknowledgements for {len(TAGS)} messages", run)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES, sys.argv)
