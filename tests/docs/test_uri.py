#!/usr/bin/python3
"""The URI handlers are the ones docs/guide.md ("Which element plays a URI")
says, and playbin plays rtmpe:// with them.

  make-from-uri  rtmpe:// gives rtmpeurisrc / rtmpeurisink; rtmp:// and
                 rtmps:// give GStreamer's rtmp2 elements (when installed);
                 rtmfp:// gives rtmfpsrc / rtmfpsink once that plugin is built
  user-rank      GST_PLUGIN_FEATURE_RANK=rtmpesrc:MAX,rtmpesink:MAX makes
                 rtmp:// ours
  playbin        playbin plays rtmpe:// from rtmpesink in listen mode: the
                 source is rtmpeurisrc, decoded video frames and audio
                 buffers are counted at fakesinks (signal-handoffs)
"""

import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))

import gst  # noqa: E402
from peers import Peers, log, skip, wait_port, free_port  # noqa: E402
from test_client import gen_pipeline  # noqa: E402

CASE = sys.argv[1] if len(sys.argv) > 1 else ""
if CASE == "user-rank":
    os.environ["GST_PLUGIN_FEATURE_RANK"] = "rtmpesrc:MAX,rtmpesink:MAX"
    if os.environ.get("GST_REGISTRY_1_0"):
        os.environ["GST_REGISTRY_1_0"] += ".user-rank"
AGAINST = gst.use_installed(os.environ)

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)


def factory_of(kind, uri):
    e = Gst.Element.make_from_uri(kind, uri, None)
    assert e is not None, f"no element for {uri}"
    return e.get_factory().get_name(), e


def check_ours_loaded():
    f = Gst.ElementFactory.find("rtmpesrc")
    assert f, "rtmpesrc is not registered"
    path = f.get_plugin().get_filename()
    build = os.environ.get("RTMPE_BUILD_ROOT")
    log(f"rtmpesrc from {path} ({AGAINST})")
    if os.environ.get("RTMPE_TESTS_INSTALLED") and build:
        assert not os.path.realpath(path).startswith(os.path.realpath(build)), \
            f"asked for installed plugins, got the build tree's {path}"


def case_make_from_uri():
    check_ours_loaded()
    src, e = factory_of(Gst.URIType.SRC, "rtmpe://127.0.0.1:1935/live/x")
    assert src == "rtmpeurisrc", src
    assert e.get_property("location") == "rtmpe://127.0.0.1:1935/live/x"
    sink, _ = factory_of(Gst.URIType.SINK, "rtmpe://127.0.0.1:1935/live/x")
    assert sink == "rtmpeurisink", sink
    # our elements take every scheme when asked for by name
    for scheme in ("rtmp", "rtmpe", "rtmps"):
        for name in ("rtmpesrc", "rtmpesink"):
            e = Gst.ElementFactory.make(name, None)
            assert Gst.URIHandler.set_uri(e, f"{scheme}://127.0.0.1/live/x"), (name, scheme)
    if Gst.ElementFactory.find("rtmp2src"):
        for scheme in ("rtmp", "rtmps"):
            got, _ = factory_of(Gst.URIType.SRC, f"{scheme}://127.0.0.1/live/x")
            assert got == "rtmp2src", f"{scheme}:// went to {got}, not rtmp2src"
            got, _ = factory_of(Gst.URIType.SINK, f"{scheme}://127.0.0.1/live/x")
            assert got == "rtmp2sink", f"{scheme}:// went to {got}, not rtmp2sink"
        log("rtmp:// and rtmps:// stay with rtmp2")
    else:
        log("rtmp2 is not installed: rtmp:// not checked")
    if Gst.ElementFactory.find("rtmfpsrc"):
        for kind, want in ((Gst.URIType.SRC, "rtmfpsrc"), (Gst.URIType.SINK, "rtmfpsink")):
            got, _ = factory_of(kind, "rtmfp://127.0.0.1/live/x")
            assert got == want, (
                f"rtmfp:// went to {got}, not {want}: librtmp's rtmpsrc/rtmpsink (rank "
                f"primary) claim rtmfp:// too, so {want} needs a rank above primary "
                "(GST_RANK_PRIMARY + 1), as docs/guide.md says")
        log("rtmfp:// goes to rtmfpsrc / rtmfpsink")
    else:
        log("the rtmfp plugin is not built: rtmfp:// not checked")
    log("rtmpe:// goes to rtmpeurisrc / rtmpeurisink")


def case_user_rank():
    check_ours_loaded()
    for kind, want in ((Gst.URIType.SRC, "rtmpesrc"), (Gst.URIType.SINK, "rtmpesink")):
        for scheme in ("rtmp", "rtmps", "rtmpe"):
            got, _ = factory_of(kind, f"{scheme}://127.0.0.1/live/x")
            assert got == want, f"{scheme}:// went to {got} with {want}:MAX"
    log("with GST_PLUGIN_FEATURE_RANK=rtmpesrc:MAX,rtmpesink:MAX every scheme is ours")


def case_playbin():
    check_ours_loaded()
    with Peers("uri-playbin") as peers:
        port = free_port()
        url = f"rtmpe://127.0.0.1:{port}/live/stream"
        server = gst.launch(peers, gen_pipeline(f"rtmpesink mode=listen location={url}", n=150),
                            "server")
        wait_port(port, 10, server)

        playbin = Gst.ElementFactory.make("playbin", None)
        counts = {"video": 0, "audio": 0}
        caps = {}
        sinks = {}
        for kind in ("video", "audio"):
            s = Gst.ElementFactory.make("fakesink", f"{kind}-sink")
            s.set_property("signal-handoffs", True)
            s.set_property("sync", True)

            def handoff(sink, buf, pad, kind=kind):
                counts[kind] += 1
                if kind not in caps:
                    caps[kind] = pad.get_current_caps().to_string()
            s.connect("handoff", handoff)
            sinks[kind] = s
        playbin.set_property("video-sink", sinks["video"])
        playbin.set_property("audio-sink", sinks["audio"])
        playbin.set_property("uri", url)
        sources = []
        playbin.connect("source-setup", lambda pb, src: sources.append(
            src.get_factory().get_name()))

        loop = GLib.MainLoop()
        result = {}

        def on_message(bus, msg):
            if msg.type == Gst.MessageType.EOS:
                result["eos"] = True
                loop.quit()
            elif msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                result["error"] = f"{err.message} ({dbg})"
                loop.quit()
        bus = playbin.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message)
        GLib.timeout_add_seconds(60, lambda: (result.setdefault("error", "timed out"),
                                              loop.quit()))
        playbin.set_state(Gst.State.PLAYING)
        loop.run()
        playbin.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        peers.wait(server, 20)
        log(f"playbin: source {sources}, {counts['video']} video frames "
            f"({caps.get('video', '?')[:60]}), {counts['audio']} audio buffers")
        assert "error" not in result, result["error"]
        assert sources == ["rtmpeurisrc"], sources
        assert caps["video"].startswith("video/x-raw"), caps
        assert caps["audio"].startswith("audio/x-raw"), caps
        # the server sends 150 frames from its start; playbin joins on a key
        # frame shortly after
        assert counts["video"] >= 100, counts
        assert counts["audio"] >= 100, counts


CASES = {"make-from-uri": case_make_from_uri, "user-rank": case_user_rank,
         "playbin": case_playbin}

if __name__ == "__main__":
    if CASE not in CASES:
        print("usage: test_uri.py " + "|".join(CASES))
        sys.exit(2)
    if not Gst.ElementFactory.find("rtmpesrc"):
        skip("rtmpesrc is not registered")
    CASES[CASE]()
