#!/usr/bin/env python3
"""The main job: an RTMPE stream published and played back on this machine.

Without arguments: a test pattern with a tone, H.264 + AAC, is published
with rtmpesink (client) over rtmpe:// into rtmpesrc listening on 127.0.0.1;
the received FLV is saved, then checked, and what it proved is printed.

With a URL argument: plays that stream (rtmp://, rtmpe:// or rtmps://) for
--seconds and saves it.

Needs the plugin on GST_PLUGIN_PATH (scripts/demo.sh sets it).
"""

import argparse
import os
import socket
import struct
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

HANDSHAKES = {3: "plain RTMP", 6: "RTMPE 0x06", 8: "RTMPE 0x08 (XTEA)",
              9: "RTMPE 0x09 (Blowfish)"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(pipelines, timeout):
    """Plays the pipelines until each has posted EOS; returns (ok, error)."""
    loop = GLib.MainLoop()
    pending = set(pipelines)
    result = {"error": None}

    def on_message(bus, msg, p):
        if msg.type == Gst.MessageType.EOS:
            pending.discard(p)
            if not pending:
                loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            result["error"] = f"{msg.src.get_name()}: {err.message} ({debug})"
            loop.quit()

    for p in pipelines:
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message, p)
    for p in pipelines:
        if p.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            return False, f"{p.get_name()} could not start"
    GLib.timeout_add_seconds(timeout, lambda: (result.update(error="timed out"), loop.quit()))
    loop.run()
    return result["error"] is None, result["error"]


def count_flv(path):
    """Audio and video tags, and the video key frames, in an FLV file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"FLV":
        return 0, 0, 0, 0
    off = struct.unpack(">I", data[5:9])[0] + 4
    audio = video = keys = 0
    last_ts = 0
    while off + 11 <= len(data):
        kind = data[off] & 0x1F
        size = int.from_bytes(data[off + 1:off + 4], "big")
        ts = int.from_bytes(data[off + 4:off + 7], "big") | (data[off + 7] << 24)
        if kind == 8:
            audio += 1
        elif kind == 9 and size >= 2:
            # AVC: frames only, not the configuration or end of sequence
            frame_type, codec = data[off + 11] >> 4, data[off + 11] & 0x0F
            if codec != 7 or data[off + 12] == 1:
                video += 1
                keys += frame_type == 1
        last_ts = max(last_ts, ts)
        off += 11 + size + 4
    return video, audio, keys, last_ts


def stats_of(element):
    s = element.get_property("stats")
    return {s.nth_field_name(i): s.get_value(s.nth_field_name(i)) for i in range(s.n_fields())}


def demo(args):
    port = free_port()
    url = f"rtmpe://127.0.0.1:{port}/live/demo"
    out = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    frames = args.seconds * 25

    receiver = Gst.parse_launch(
        f"rtmpesrc name=src mode=listen location={url} ! filesink location={out}")
    publisher = Gst.parse_launch(
        f"videotestsrc num-buffers={frames} pattern=smpte ! "
        "video/x-raw,width=640,height=360,framerate=25/1 ! "
        "x264enc tune=zerolatency key-int-max=50 bitrate=1000 ! h264parse ! "
        f"flvmux name=m streamable=true ! rtmpesink name=sink location={url} "
        f"audiotestsrc num-buffers={int(args.seconds * 44100 / 1024)} samplesperbuffer=1024 ! "
        "audio/x-raw,rate=44100 ! voaacenc ! aacparse ! m.")

    print(f"rtmpe demo: publishing {args.seconds} s of 640x360 H.264 + AAC over {url}")
    print("  rtmpesink (client, RTMPE) -> rtmpesrc (listen mode) -> " + out)
    # the receiver listens first; its state change returns once bound
    if receiver.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("the receiver could not listen", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    ok, error = run([publisher, receiver], args.seconds * 3 + 30)
    elapsed = time.monotonic() - t0
    sink_stats = stats_of(publisher.get_by_name("sink"))
    for p in (publisher, receiver):
        p.set_state(Gst.State.NULL)
    if not ok:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1

    video, audio, keys, last_ts = count_flv(out)
    size = os.path.getsize(out)
    hs = sink_stats.get("handshake-type", 0)
    print(f"  handshake       : {HANDSHAKES.get(hs, hs)}, cipher {sink_stats.get('cipher')}")
    print(f"  received        : {video} video frames ({keys} key frames), "
          f"{audio} audio frames, {last_ts / 1000:.1f} s of stream")
    print(f"  sent / received : {sink_stats.get('bytes-out', 0)} / {size} bytes")
    print(f"  bitrate         : {8 * size / max(elapsed, 0.001) / 1e6:.2f} Mbit/s "
          f"over {elapsed:.1f} s")
    print(f"  saved           : {out}")
    if video != frames or hs not in (6, 8, 9) or sink_stats.get("cipher") != "RC4":
        print(f"FAILED: expected {frames} video frames over RTMPE", file=sys.stderr)
        return 1
    print("OK: every frame went through RTMPE and came back")
    return 0


def play(args):
    out = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    p = Gst.parse_launch(f'rtmpesrc name=src location="{args.url}" ! '
                         f"filesink location={out}")
    print(f"playing {args.url} for {args.seconds} s into {out}")
    loop = GLib.MainLoop()
    state = {"error": None}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            state["error"] = f"{err.message} ({debug})"
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    bus = p.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    p.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(args.seconds, lambda: (p.send_event(Gst.Event.new_eos()), False)[1])
    loop.run()
    st = stats_of(p.get_by_name("src"))
    p.set_state(Gst.State.NULL)
    if state["error"]:
        print(f"FAILED: {state['error']}", file=sys.stderr)
        return 1
    video, audio, keys, last_ts = count_flv(out)
    print(f"  handshake {HANDSHAKES.get(st.get('handshake-type'), '?')}, cipher "
          f"{st.get('cipher')}; {video} video and {audio} audio frames; "
          f"{st.get('bytes-in', 0)} bytes in")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", nargs="?", help="play this stream instead of the demo")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--output", default="_out/demo-received.flv")
    args = ap.parse_args()
    Gst.init(None)
    for name in ("rtmpesrc", "rtmpesink"):
        if not Gst.ElementFactory.find(name):
            print(f"{name} not found: is GST_PLUGIN_PATH set to the build tree?",
                  file=sys.stderr)
            return 1
    return play(args) if args.url else demo(args)


if __name__ == "__main__":
    sys.exit(main())
