#!/usr/bin/python3
"""Runs the recipes of docs/guide.md, as written there, against servers and
players started on 127.0.0.1 (our listen mode, nginx-rtmp, stunnel,
librtmp, ffmpeg), and checks what they did.

A recipe is the fenced block after a `<!-- recipe: NAME -->` line. Before it
runs, `example.com` (and `in.example.com`, `out.example.com`) becomes the
address of the server the test started, `0.0.0.0:1935` a free port on
127.0.0.1, and what a headless machine lacks is replaced: autovideosink and
autoaudiosink by fakesink, v4l2src and pulsesrc by test sources, endless
live test sources get a frame count. Each line (with its continuations) is
one command, run with sh in a temporary directory.

Usage: test_recipes.py NAME | --list | complete NAME...
"""

import glob
import os
import re
import shlex
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))

import gst  # noqa: E402
from peers import (Nginx, Peers, Stunnel, check_media, free_port, log, make_flv,  # noqa: E402
                   need, probe, skip, tail, wait_port, wait_until)
from test_client import gen_pipeline, source_counts  # noqa: E402

GUIDE = os.path.join(TOP, "docs", "guide.md")
TIMEOUT = 90
FRAMES = 150          # what a test server sends: 6 s at 25 frames/s


def recipes():
    """{name: text} of every recipe in the guide."""
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"<!-- recipe: ([\w-]+) -->\n```\w*\n(.*?)\n```", text, re.S):
        out[m.group(1)] = m.group(2)
    return out


def commands(name, subst, count_frames=True, frames=FRAMES):
    """The recipe's commands with @subst (and the headless rules) applied;
    live test sources send @frames video frames (25 a second)."""
    text = recipes()[name]
    text = text.replace("\\\n", " ")
    for a, b in subst.items():
        text = text.replace(a, b)
    # a headless machine: count what reaches the screen, no camera, no sound
    text = text.replace("autovideosink", "fakesink name=screen silent=false sync=true")
    text = text.replace("autoaudiosink", "fakesink sync=true")
    text = re.sub(r"\bv4l2src\b", "videotestsrc is-live=true num-buffers=100", text)
    text = re.sub(r"\bpulsesrc\b", "audiotestsrc is-live=true num-buffers=160", text)
    text = re.sub(r"(videotestsrc is-live=true)(?! num-buffers)", rf"\1 num-buffers={frames}",
                  text)
    text = re.sub(r"(audiotestsrc is-live=true)(?! num-buffers)",
                  rf"\1 num-buffers={int(frames / 25 * 44100 / 1024)}", text)
    text = text.replace("gst-play-1.0 ", "gst-play-1.0 --no-interactive --videosink=fakesink "
                        "--audiosink=fakesink ")
    text = text.replace("playbin ", "playbin video-sink=\"fakesink name=screen silent=false "
                        "sync=true\" audio-sink=fakesink ")
    if not count_frames:
        text = text.replace("name=screen silent=false ", "")
    if "name=screen" in text:
        text = text.replace("gst-launch-1.0 ", "gst-launch-1.0 -v ")
    cmds = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return cmds


def start(peers, cmd, name, env=None):
    log(f"{name}: {cmd}")
    return peers.start(["sh", "-c", cmd], name, env=gst.env(env), cwd=peers.dir)


def run(peers, name, subst, env=None, timeout=TIMEOUT, index=0, count_frames=True):
    """Runs the recipe's command @index to its end; asserts exit 0."""
    cmd = commands(name, subst, count_frames)[index]
    p = start(peers, cmd, name, env)
    rc = peers.wait(p, timeout, name)
    text = read(p)
    assert rc == 0, f"{name} exited with {rc}:\n{text[-4000:]}"
    return text


def read(p):
    with open(p.logpath, "rb") as f:
        return f.read().decode("utf-8", "replace")


def screen_frames(text):
    return text.count("GstFakeSink:screen: last-message = chain")


# ---- servers the recipes talk to -------------------------------------------

def rtmpe_server(peers, stream="stream", frames=FRAMES):
    """rtmpesink serving a test stream over rtmpe:// on a free port."""
    port = free_port()
    p = gst.launch(peers, gen_pipeline(f"rtmpesink mode=listen "
                                       f"location=rtmpe://127.0.0.1:{port}/live/{stream}",
                                       n=frames), f"server-{stream}")
    wait_port(port, 10, p)
    return port, p


def rtmpe_receiver(peers, stream, out="received.flv"):
    """rtmpesrc listening for a publisher over rtmpe://; returns (port, proc, file)."""
    port = free_port()
    path = peers.path(out)
    p = gst.launch(peers, f"rtmpesrc mode=listen location=rtmpe://127.0.0.1:{port}/live/{stream} "
                   f"! filesink location={path}", "receiver")
    wait_port(port, 10, p)
    return port, p, path


def rtmps_server(peers):
    """nginx-rtmp (recording) behind stunnel; returns (nginx, stunnel, env
    that trusts stunnel's certificate)."""
    nginx = Nginx(peers)
    tls = Stunnel(peers, nginx.port)
    return nginx, tls, {"SSL_CERT_FILE": tls.cert}


def finish(peers, p, what, timeout=30):
    rc = peers.wait(p, timeout, what)
    assert rc == 0, f"{what} exited with {rc}:\n{tail(p.logpath)}"
    return read(p)


def make_mp4(peers, name="movie.mp4", seconds=4):
    need("ffmpeg")
    out = peers.path(name)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast",
                    "-g", "25", "-bf", "0", "-c:a", "aac", "-b:a", "64k", out], check=True)
    return out


def without_build_tree(extra=None):
    """The environment of a user's shell: none of meson's plugin settings."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("GST_PLUGIN_PATH_1_0", "GST_PLUGIN_PATH", "GST_REGISTRY_1_0")}
    e.update(extra or {})
    return e


# ---- the recipes -------------------------------------------------------------

def build_root():
    b = os.environ.get("RTMPE_BUILD_ROOT")
    if not b:
        skip("RTMPE_BUILD_ROOT is not set (meson test sets it)")
    return b


def case_devenv():
    b = build_root()
    with Peers("recipe-devenv") as peers:
        cmd = commands("devenv", {"-C build": f"-C {shlex.quote(b)}"})[0]
        p = peers.start(["sh", "-c", cmd], "devenv", env=without_build_tree(), cwd=peers.dir)
        assert peers.wait(p, 60) == 0, read(p)
        text = read(p)
        assert "rtmpesrc" in text and os.path.join(b, "ext", "rtmpe") in text, text[-3000:]


def case_plugin_path():
    b = build_root()
    with Peers("recipe-plugin-path") as peers:
        cmd = commands("plugin-path", {"=build/": f"={b}/"})[0]
        p = peers.start(["sh", "-c", cmd], "plugin-path",
                        env=without_build_tree({"GST_REGISTRY_1_0": peers.path("reg.bin")}),
                        cwd=peers.dir)
        assert peers.wait(p, 60) == 0, read(p)
        text = read(p)
        assert os.path.join(b, "ext", "rtmpe", "libgstrtmpe.so") in text, text[-3000:]


def play_case(name, check, join_after=0, count_frames=True):
    with Peers(f"recipe-{name}") as peers:
        port, server = rtmpe_server(peers)
        if join_after:
            # a player that joins a stream that is already going (see the
            # record-and-watch recipe in docs/guide.md)
            time.sleep(join_after)
        text = run(peers, name, {"example.com": f"127.0.0.1:{port}"},
                   {"GST_DEBUG": "rtmpe*:3,rtmpesrc:4", "GST_DEBUG_NO_COLOR": "1"},
                   count_frames=count_frames)
        finish(peers, server, "server")
        check(peers, text)


def case_play_screen():
    def check(peers, text):
        n = screen_frames(text)
        log(f"{n} frames reached the screen")
        assert n >= 75, text[-3000:]
    play_case("play-screen", check)


def case_play_file():
    play_case("play-file", lambda peers, text: check_media(peers.path("stream.flv"),
                                                           min_video=75, min_audio=100))


def case_play_mp4():
    play_case("play-mp4", lambda peers, text: check_media(peers.path("stream.mp4"),
                                                          min_video=75, min_audio=100))


def case_gst_play():
    def check(peers, text):
        # our element logged that it played (librtmp's rtmpsrc would not)
        assert "gstrtmpesrc.c" in text and "playing rtmpe://" in text, text[-3000:]
        assert "Reached end of play list" in text, text[-3000:]
    play_case("gst-play", check)


def case_playbin():
    def check(peers, text):
        assert "GstRtmpeUriSrc:source" in text, text[-3000:]
        n = screen_frames(text)
        log(f"playbin through rtmpeurisrc: {n} frames reached the screen")
        assert n >= 75, text[-3000:]
    play_case("playbin", check)


def case_record_and_watch():
    def check(peers, text):
        n = screen_frames(text)
        log(f"{n} frames reached the screen")
        assert n >= 75, text[-3000:]
        check_media(peers.path("recording.flv"), min_video=75, min_audio=100)
    play_case("record-and-watch", check)


def publish_case(name, stream, min_video, extra_subst=None):
    """A publishing recipe into rtmpesrc listen (RTMPE)."""
    with Peers(f"recipe-{name}") as peers:
        port, receiver, out = rtmpe_receiver(peers, stream)
        if extra_subst and "movie.flv" in extra_subst:
            os.rename(make_flv(peers, "src.flv"), peers.path("movie.flv"))
        run(peers, name, {"example.com": f"127.0.0.1:{port}"})
        finish(peers, receiver, "receiver")
        return check_media(out, min_video=min_video), peers


def check_live_media(path, min_video):
    """check_media for what flvmux made from two live sources: it may write
    two video tags with the same timestamp at the start (GStreamer's
    flvmux, tests/interop quirk), which ffmpeg's null muxer reports; any
    other decode error fails."""
    info = probe(path)
    log_lines = [ln for ln in info.get("decode_log", "").splitlines()
                 if ln.strip() and "non monotonically increasing dts" not in ln
                 and not ln.strip().startswith("Last message repeated")]
    assert info["ok"] and info["video"] >= min_video and not log_lines, info
    log("media ok (live sources):", {k: v for k, v in info.items() if k != "decode_log"})
    return info


def case_publish_camera_rtmpe():
    with Peers("recipe-publish-camera-rtmpe") as peers:
        port, receiver, out = rtmpe_receiver(peers, "cam1")
        run(peers, "publish-camera-rtmpe", {"example.com": f"127.0.0.1:{port}"})
        finish(peers, receiver, "receiver")
        check_live_media(out, 95)


def case_publish_by_uri():
    info, _ = publish_case("publish-by-uri", "key", FRAMES)
    assert info["video"] == FRAMES, info


def case_publish_flv_file():
    with Peers("recipe-publish-flv-file") as peers:
        media = make_flv(peers, "movie.flv")
        v, a = source_counts(media)
        port, receiver, out = rtmpe_receiver(peers, "file")
        run(peers, "publish-flv-file", {"example.com": f"127.0.0.1:{port}"})
        finish(peers, receiver, "receiver")
        check_media(out, video=v, audio=a)


def rtmps_publish_case(name, stream, min_video, prepare=None):
    with Peers(f"recipe-{name}") as peers:
        nginx, tls, env = rtmps_server(peers)
        if prepare:
            prepare(peers)
        run(peers, name, {"example.com": f"127.0.0.1:{tls.port}"}, env)
        wait_until(lambda: os.path.exists(nginx.recorded(stream)) and
                   probe(nginx.recorded(stream)).get("video", 0) >= min_video, 15,
                   "nginx recorded the stream")
        nginx.stop()
        if "camera" in name:
            check_live_media(nginx.recorded(stream), min_video)
        else:
            check_media(nginx.recorded(stream), min_video=min_video)


def case_publish_camera_rtmps():
    rtmps_publish_case("publish-camera-rtmps", "cam1", 95)


def case_publish_mp4_rtmps():
    rtmps_publish_case("publish-mp4-rtmps", "file", 95, lambda peers: make_mp4(peers))


def case_listen_rtmpe():
    with Peers("recipe-listen-rtmpe") as peers:
        port = free_port()
        cmd = commands("listen-rtmpe", {"0.0.0.0:1935": f"127.0.0.1:{port}"})[0]
        listener = start(peers, cmd, "listen-rtmpe")
        wait_port(port, 10, listener)
        gst.run(peers, gen_pipeline(f"rtmpsink location=rtmpe://127.0.0.1:{port}/live/cam1"),
                "librtmp-rtmpsink", TIMEOUT)
        finish(peers, listener, "listen-rtmpe")
        check_media(peers.path("cam1.flv"), video=100, min_audio=150)


def case_make_cert():
    with Peers("recipe-make-cert") as peers:
        run(peers, "make-cert", {})
        r = subprocess.run(["openssl", "x509", "-in", peers.path("server.crt"), "-noout",
                            "-ext", "subjectAltName"], capture_output=True, text=True)
        assert "IP Address:127.0.0.1" in r.stdout, r.stdout + r.stderr
        assert os.path.getsize(peers.path("server.key")) > 0


def case_listen_rtmps():
    need("ffmpeg", "openssl")
    with Peers("recipe-listen-rtmps") as peers:
        run(peers, "make-cert", {})
        media = make_flv(peers)
        v, a = source_counts(media)
        port = free_port()
        cmd = commands("listen-rtmps", {"0.0.0.0:1935": f"127.0.0.1:{port}"})[0]
        listener = start(peers, cmd, "listen-rtmps")
        wait_port(port, 10, listener)
        ff = peers.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy", "-f", "flv",
                          f"rtmps://127.0.0.1:{port}/live/cam1"], "ffmpeg")
        assert peers.wait(ff, TIMEOUT) == 0, tail(ff.logpath)
        finish(peers, listener, "listen-rtmps")
        check_media(peers.path("cam1.flv"), video=v, audio=a)


def case_serve_players():
    """The server recipe with the three players of serve-players-clients."""
    need("rtmpdump", "ffmpeg")
    with Peers("recipe-serve-players") as peers:
        port = free_port()
        # A player starts on a key frame (every 2 s here): one that joins
        # late, as on a loaded machine (ffmpeg and rtmpdump take a while to
        # start), must still get its 75 frames, so the server sends 15 s.
        cmd = commands("serve-players", {"0.0.0.0:1935": f"127.0.0.1:{port}"},
                       frames=375)[0]
        server = start(peers, cmd, "serve-players")
        wait_port(port, 10, server)
        players = [start(peers, c, f"player{i}", {"GST_DEBUG": "rtmpesrc:4"}) for i, c in
                   enumerate(commands("serve-players-clients",
                                      {"example.com": f"127.0.0.1:{port}"}))]
        finish(peers, server, "serve-players", TIMEOUT)
        for p in players:
            # the server told every player the stream ended; rtmpdump says 2
            # (incomplete) for a live stream that ends
            rc = peers.wait(p, 30, p.name)
            assert rc in (0, 2), f"{p.name} exited with {rc}:\n{tail(p.logpath)}"
        for f in ("rtmpdump.flv", "ffmpeg.flv"):
            check_live_media(peers.path(f), 75)
        assert "playing rtmpe://" in read(players[2]), tail(players[2].logpath)


def case_restream():
    with Peers("recipe-restream") as peers:
        port, server = rtmpe_server(peers, "in")
        nginx, tls, env = rtmps_server(peers)
        run(peers, "restream", {"in.example.com": f"127.0.0.1:{port}",
                                "out.example.com": f"127.0.0.1:{tls.port}"}, env)
        finish(peers, server, "server")
        wait_until(lambda: probe(nginx.recorded("out")).get("video", 0) >= 75, 15,
                   "nginx recorded the stream")
        nginx.stop()
        check_media(nginx.recorded("out"), min_video=75, min_audio=100)


def need_rtmfp():
    r = subprocess.run(["gst-inspect-1.0", "rtmfpsrc"], env=gst.env(), capture_output=True)
    if r.returncode != 0:
        skip("not yet run: the rtmfp plugin is not built")


def case_rtmfp_server():
    need_rtmfp()
    skip("needs an RTMFP server that relays streams (tcserver, MonaServer): none is "
         "packaged; rtmfp-peer runs our own elements end to end")


def case_rtmfp_peer():
    """The publisher (rtmfpsink mode=peer) and the player (the recipe) both
    connect to rtmfpsrc listen, which introduces them."""
    need_rtmfp()
    with Peers("recipe-rtmfp-peer") as peers:
        port = free_port(kind=__import__("socket").SOCK_DGRAM)
        intro = gst.launch(peers, f"rtmfpsrc mode=listen location=rtmfp://127.0.0.1:{port}/live "
                           "! fakesink", "introducer")
        wait_port(port, 10, intro, proto="udp")
        pub = gst.launch(peers, "-m " + gen_pipeline(
            f"rtmfpsink mode=peer location=rtmfp://127.0.0.1:{port}/live/cam "
            "stats-interval=200", n=300), "publisher")

        def peer_id():
            m = re.search(r"peer-id=\(string\)([0-9a-f]{64})", read(pub))
            return m.group(1) if m else None
        wait_until(lambda: peer_id() is not None, 10, "the publisher's peer ID", pub)
        run(peers, "rtmfp-peer", {"example.com": f"127.0.0.1:{port}", "PEER_ID": peer_id()})
        finish(peers, pub, "publisher", TIMEOUT)
        check_media(peers.path("p2p.flv"), min_video=75)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}
# recipes run inside another recipe's case
PART_OF = {"serve-players-clients": "serve-players"}


def complete(listed):
    """Every recipe of the guide has a case here and a test in meson.build."""
    in_guide = set(recipes()) - set(PART_OF)
    problems = []
    for r in sorted(in_guide - set(CASES)):
        problems.append(f"recipe '{r}' of docs/guide.md has no case_{r.replace('-', '_')} in "
                        "tests/docs/test_recipes.py")
    for r in sorted(set(CASES) - in_guide):
        problems.append(f"test_recipes.py has a case '{r}' that docs/guide.md does not mark "
                        "(<!-- recipe: NAME -->)")
    for r in sorted(in_guide - set(listed)):
        problems.append(f"recipe '{r}' is not in the recipes list of tests/docs/meson.build")
    assert not problems, "\n".join(problems)
    log(f"{len(in_guide)} recipes, each with its test")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--list":
        print("\n".join(sorted(CASES)))
    elif len(sys.argv) >= 2 and sys.argv[1] == "complete":
        complete(sys.argv[2:])
    elif len(sys.argv) == 2 and sys.argv[1] in CASES:
        log("against", gst.use_installed(dict(os.environ)))
        CASES[sys.argv[1]]()
    else:
        print("usage: test_recipes.py " + "|".join(sorted(CASES)) + " | --list | complete NAME...")
        sys.exit(2)
