#!/usr/bin/env python3
"""RTMFP under loss: rtmfpsink into rtmfpsrc over one lossy hop.

Runs build/tests/bench/rtmfp-bench (both elements in one process, frame
delays measured per coded frame) inside a network namespace it creates,
with iptables dropping each UDP datagram at random with probability P (both
directions: data and acknowledgements). For each loss rate it raises the
bitrate until a run no longer delivers every frame in real time, and
reports the highest bitrate sustained, frame delays and CPU per Mbit/s.

A run is sustained when every audio and video frame arrived (reliable
delivery), the transfer finished within 1.2 x the stream's duration + 2 s,
and the 95th percentile of frame delay stayed under 1 s.

Usage (root): tests/bench/rtmfp-loss-bench.py [BUILD_DIR] [--quick]
  --loss 0,2,5,10     loss rates in percent
  --rates 8,16,...    target video bitrates in Mbit/s
  --seconds 10        stream length
Not part of `meson test`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_media(path, mbps, seconds):
    """H.264 (noisy test pattern, constant bitrate) + AAC in FLV."""
    size = "1280x720" if mbps <= 24 else "1920x1080"
    sh(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
        f"testsrc2=size={size}:rate=25,noise=alls=14:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-b:v", f"{mbps}M", "-minrate", f"{mbps}M",
        "-maxrate", f"{mbps}M", "-bufsize", f"{max(1, mbps // 4)}M", "-g", "50",
        "-bf", "0", "-c:a", "aac", "-b:a", "128k", "-f", "flv", path])
    out = sh(["ffprobe", "-v", "error", "-show_entries", "format=bit_rate",
              "-of", "csv=p=0", path]).stdout.strip()
    return int(out) / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--loss", default="0,2,5,10")
    ap.add_argument("--rates", default="8,16,24,32,48,64")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (ip netns, iptables)")
    build = os.path.abspath(args.build)
    bench = os.path.join(build, "tests", "bench", "rtmfp-bench")
    env = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(build, "ext", "rtmfp"),
               GST_DEBUG=os.environ.get("GST_DEBUG", "rtmfp*:1"))
    ns = f"rtmfp-bench-{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="rtmfp-bench-")
    rates = [int(r) for r in args.rates.split(",")]
    media = {}
    runs = []
    sh(["ip", "netns", "add", ns])
    try:
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for r in rates:
            p = os.path.join(tmp, f"{r}M.flv")
            media[r] = (p, make_media(p, r, args.seconds))
            print(f"media {r} Mbit/s target: {media[r][1]:.1f} Mbit/s actual", flush=True)
        port = 20000
        for loss in [float(x) for x in args.loss.split(",")]:
            sh(["ip", "netns", "exec", ns, "iptables", "-F", "INPUT"])
            if loss > 0:
                sh(["ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-p", "udp",
                    "-m", "statistic", "--mode", "random", "--probability",
                    str(loss / 100), "-j", "DROP"])
            for r in rates:
                path, actual = media[r]
                port += 1
                p = subprocess.run(["ip", "netns", "exec", ns, bench, path, str(port)],
                                   capture_output=True, text=True, env=env,
                                   timeout=args.seconds * 6 + 60)
                try:
                    res = json.loads(p.stdout.strip().splitlines()[-1])
                except (IndexError, json.JSONDecodeError):
                    res = {"ok": False, "error": p.stderr[-500:]}
                res.update(loss=loss, target=r, mbps=round(actual, 1))
                all_frames = res.get("ok") and \
                    res["video_received"] == res["video_sent"] and \
                    res["audio_received"] == res["audio_sent"]
                res["sustained"] = bool(all_frames and
                                        res["seconds"] <= args.seconds * 1.2 + 2 and
                                        res["delay_p95_ms"] < 1000)
                if res.get("ok"):
                    res["cpu_ms_per_mbit"] = round(
                        res["cpu_seconds"] * 1000 / (actual * args.seconds), 1)
                runs.append(res)
                print(json.dumps(res), flush=True)
                if not res["sustained"]:
                    break
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        for p, _ in media.values():
            os.unlink(p)
        os.rmdir(tmp)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    print("\n| loss | highest sustained | frames | delay p50 / p95 / max (ms) | "
          "CPU ms per Mbit | retransmissions |")
    print("| --- | --- | --- | --- | --- | --- |")
    for loss in sorted({r["loss"] for r in runs}):
        ok = [r for r in runs if r["loss"] == loss and r["sustained"]]
        if not ok:
            print(f"| {loss:g}% | none | | | | |")
            continue
        b = max(ok, key=lambda r: r["mbps"])
        print(f"| {loss:g}% | {b['mbps']} Mbit/s | "
              f"{b['video_received']}/{b['video_sent']} video, "
              f"{b['audio_received']}/{b['audio_sent']} audio | "
              f"{b['delay_p50_ms']} / {b['delay_p95_ms']} / {b['delay_max_ms']} | "
              f"{b['cpu_ms_per_mbit']} | {b['retransmissions']} |")


if __name__ == "__main__":
    main()
