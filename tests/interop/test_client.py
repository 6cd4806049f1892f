#!/usr/bin/env python3
"""rtmpesrc and rtmpesink as clients, against peers we did not write.

Each case starts its own peers on 127.0.0.1 on free ports and checks the
media that arrived at the far end with ffprobe/ffmpeg: frame counts, video
DTS strictly increasing, zero decode errors.

Usage: test_client.py CASE   (see CASES at the bottom)
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gst  # noqa: E402
from peers import (Nginx, Peers, Stunnel, check_media, log, make_flv,  # noqa: E402
                   need, probe, wait_until, tail)

TIMEOUT = 60


def wait_nginx_log(nginx, text, proc=None, timeout=15):
    path = os.path.join(nginx.prefix, "error.log")

    def seen():
        try:
            with open(path, "rb") as f:
                return text.encode() in f.read()
        except OSError:
            return False
    wait_until(seen, timeout, f"nginx log: {text}", proc)


def source_counts(path):
    info = probe(path)
    assert info["ok"], info
    return info["video"], info["audio"]


LIVE_SRC = ("videotestsrc num-buffers={n} ! video/x-raw,width=320,height=240,framerate=25/1 ! "
            "x264enc tune=zerolatency key-int-max=25 bitrate=400 ! h264parse ! "
            "flvmux name=m streamable=true ! {sink} "
            "audiotestsrc num-buffers={na} samplesperbuffer=1024 ! "
            "audio/x-raw,rate=44100 ! voaacenc ! aacparse ! m.")


def gen_pipeline(sink, n=100):
    # 1024-sample buffers at 44.1 kHz: as many seconds of audio as video
    na = int(n / 25 * 44100 / 1024)
    return LIVE_SRC.format(n=n, na=na, sink=sink)


# ---- cases -----------------------------------------------------------------

def case_publish_file():
    """rtmpesink publishes a plain FLV byte stream (unpaced) to nginx-rtmp;
    nginx stores every frame, the last ones included."""
    with Peers("publish-file") as peers:
        nginx = Nginx(peers)
        media = make_flv(peers, seconds=6, extra=("-bf", "2"))
        v, a = source_counts(media)
        gst.run(peers, f"filesrc location={media} ! rtmpesink sync=false "
                f"location={nginx.url('pub')}", "sink", TIMEOUT)
        wait_nginx_log(nginx, "deleteStream")
        check_media(nginx.recorded("pub"), video=v, audio=a)


def case_publish_flvmux():
    """rtmpesink behind flvmux (caps streamheader) paced in real time; nginx
    stores every frame."""
    with Peers("publish-flvmux") as peers:
        nginx = Nginx(peers)
        gst.run(peers, gen_pipeline(f"rtmpesink location={nginx.url('mux')}"),
                "sink", TIMEOUT)
        wait_nginx_log(nginx, "deleteStream")
        check_media(nginx.recorded("mux"), video=100, min_audio=150)


def play_from_nginx(peers, nginx, publisher_cmd, name, extra_src=""):
    """Starts rtmpesrc first, waits until nginx has its play, runs the
    publisher, and returns the received file once rtmpesrc ended on the
    server's end of stream."""
    out = peers.path("received.flv")
    src = gst.launch(peers, f"rtmpesrc location={nginx.url(name)} {extra_src} "
                     f"! filesink location={out}", "src")
    wait_nginx_log(nginx, f"play: name='{name}'", src)
    pub = publisher_cmd()
    peers.wait(pub, TIMEOUT, "publisher")
    rc = peers.wait(src, 20, "rtmpesrc")
    assert rc == 0, f"rtmpesrc exited with {rc}:\n{tail(src.logpath)}"
    return out


def case_play_ffmpeg():
    """rtmpesrc plays from nginx what ffmpeg publishes."""
    need("ffmpeg")
    with Peers("play-ffmpeg") as peers:
        nginx = Nginx(peers)
        media = make_flv(peers, seconds=4, extra=("-bf", "2"))
        v, a = source_counts(media)
        out = play_from_nginx(peers, nginx, lambda: peers.start(
            ["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy", "-f", "flv",
             nginx.url("ff")], "ffmpeg"), "ff")
        check_media(out, video=v, audio=a)


def case_play_rtmp2sink():
    """rtmpesrc plays from nginx what GStreamer's rtmp2sink publishes."""
    with Peers("play-rtmp2") as peers:
        nginx = Nginx(peers)
        out = play_from_nginx(peers, nginx, lambda: gst.launch(
            peers, gen_pipeline(f"rtmp2sink location={nginx.url('r2')}"), "rtmp2sink"),
            "r2")
        # rtmp2sink loses its last frames at EOS (a known rtmp2 bug)
        check_media(out, min_video=90, min_audio=100)


def case_play_librtmp():
    """rtmpesrc plays from nginx what librtmp's rtmpsink publishes."""
    with Peers("play-librtmp") as peers:
        nginx = Nginx(peers)
        out = play_from_nginx(peers, nginx, lambda: gst.launch(
            peers, gen_pipeline(f"rtmpsink location={nginx.url('lr')}"), "rtmpsink"),
            "lr")
        check_media(out, min_video=95, min_audio=150)


def case_playback_by_others():
    """rtmpesink publishes to nginx; rtmp2src, ffmpeg and rtmpdump play it
    back, all at once."""
    need("ffmpeg", "rtmpdump")
    with Peers("playback") as peers:
        nginx = Nginx(peers, record=False)
        url = nginx.url("back")
        outs = {k: peers.path(f"{k}.flv") for k in ("rtmp2src", "ffmpeg", "rtmpdump")}
        players = [
            gst.launch(peers, f"rtmp2src location={url} ! filesink "
                       f"location={outs['rtmp2src']}", "rtmp2src"),
            peers.start(["ffmpeg", "-v", "error", "-i", url, "-c", "copy", "-flush_packets", "1", "-f", "flv",
                         outs["ffmpeg"]], "ffmpeg"),
            peers.start(["rtmpdump", "-q", "--live", "-r", url, "-o", outs["rtmpdump"]],
                        "rtmpdump"),
        ]

        def n_plays():
            with open(os.path.join(nginx.prefix, "error.log"), "rb") as f:
                return f.read().count(b"play: name='back'")
        wait_until(lambda: n_plays() >= 3, 20, "three players")
        gst.run(peers, gen_pipeline(f"rtmpesink location={url}"), "sink", TIMEOUT)
        # rtmp2src ends by itself on the server's StreamEOF; ffmpeg and
        # rtmpdump keep waiting and are told to stop once everything is in
        for (k, path), p in zip(outs.items(), players):
            wait_until(lambda: probe(path).get("video", 0) >= 100, 20, f"{k}: all frames")
            if k != "rtmp2src":
                peers.stop(p, signal.SIGINT if k == "rtmpdump" else signal.SIGTERM)
            else:
                peers.wait(p, 20)
        for k, path in outs.items():
            log("checking", k)
            check_media(path, video=100, min_audio=150)


def case_ffmpeg_listen_publish():
    """rtmpesink publishes into ffmpeg's listen mode (ffmpeg as a server)."""
    need("ffmpeg")
    with Peers("ff-listen-pub") as peers:
        from peers import free_port, wait_port
        media = make_flv(peers, seconds=4)
        v, a = source_counts(media)
        port = free_port()
        out = peers.path("ffmpeg-got.flv")
        ff = peers.start(["ffmpeg", "-v", "error", "-listen", "1", "-i",
                          f"rtmp://127.0.0.1:{port}/live/x", "-c", "copy", "-f", "flv", out],
                         "ffmpeg")
        wait_port(port, 10, ff)
        gst.run(peers, f"filesrc location={media} ! rtmpesink sync=false "
                f"location=rtmp://127.0.0.1:{port}/live/x", "sink", TIMEOUT)
        peers.wait(ff, 20)
        check_media(out, video=v, audio=a)


def case_ffmpeg_listen_play():
    """rtmpesrc plays from ffmpeg's listen mode, which sends media on message
    stream id 0."""
    need("ffmpeg")
    with Peers("ff-listen-play") as peers:
        from peers import free_port, wait_port
        media = make_flv(peers, seconds=4)
        v, a = source_counts(media)
        port = free_port()
        ff = peers.start(["ffmpeg", "-v", "error", "-re", "-i", media, "-c", "copy",
                          "-f", "flv", "-listen", "1", f"rtmp://127.0.0.1:{port}/live/x"],
                         "ffmpeg")
        wait_port(port, 10, ff)
        out = peers.path("got.flv")
        gst.run(peers, f"rtmpesrc location=rtmp://127.0.0.1:{port}/live/x ! "
                f"filesink location={out}", "src", TIMEOUT)
        peers.wait(ff, 20)
        check_media(out, min_video=v - 2, min_audio=a - 4)


def case_rtmps():
    """Through stunnel: rtmpesink publishes over rtmps:// with a CA file,
    rtmpesrc plays it back over rtmps://."""
    with Peers("rtmps") as peers:
        nginx = Nginx(peers)
        tls = Stunnel(peers, nginx.port)
        url = f"rtmps://127.0.0.1:{tls.port}/live/sec"
        out = peers.path("received.flv")
        src = gst.launch(peers, f"rtmpesrc location={url} tls-ca-file={tls.cert} "
                         f"! filesink location={out}", "src")
        wait_nginx_log(nginx, "play: name='sec'", src)
        gst.run(peers, gen_pipeline(f"rtmpesink location={url} tls-ca-file={tls.cert}"),
                "sink", TIMEOUT)
        assert peers.wait(src, 20) == 0, tail(src.logpath)
        check_media(nginx.recorded("sec"), video=100, min_audio=150)
        check_media(out, video=100, min_audio=150)


def case_rtmps_unverified():
    """A certificate nobody vouches for is refused by default, quickly and
    with an error that says so."""
    with Peers("rtmps-bad") as peers:
        nginx = Nginx(peers)
        tls = Stunnel(peers, nginx.port)
        t0 = time.monotonic()
        rc, text = gst.run(peers, f"rtmpesrc location=rtmps://127.0.0.1:{tls.port}/live/x "
                           "! fakesink", "src", 20, expect_ok=False)
        err = gst.error_of(text)
        assert rc != 0 and err, text[-3000:]
        assert "certificate" in text and "not accepted" in text, text[-3000:]
        assert time.monotonic() - t0 < 10
        log("refused as expected:", err)


def case_rtmpe_vs_nginx():
    """nginx-rtmp does not speak RTMPE: rtmpe:// must fail fast and say so."""
    with Peers("rtmpe-nginx") as peers:
        nginx = Nginx(peers)
        t0 = time.monotonic()
        rc, text = gst.run(peers, f"rtmpesrc location={nginx.url('x', scheme='rtmpe')} "
                           "timeout=5 ! fakesink", "src", 20, expect_ok=False)
        assert rc != 0, text[-3000:]
        assert gst.error_of(text), text[-3000:]
        assert "RTMPE" in text, text[-3000:]
        assert time.monotonic() - t0 < 8, "took too long"
        log("failed as expected:", gst.error_of(text))


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_client.py " + "|".join(sorted(CASES)))
        sys.exit(2)
    CASES[sys.argv[1]]()
