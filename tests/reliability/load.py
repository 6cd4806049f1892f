#!/usr/bin/env python3
"""Listen mode under load (not part of the test command; its figures are in
docs/reliability.md).

  load.py [--peers 200] [--seconds 60] [--kbps 1000] [ingest] [serve]

ingest: one process (gstrun.py) runs PEERS rtmpesrc mode=listen elements,
  each on its own port (one listener takes one publisher per stream);
  PEERS light publishers in this process (asyncio, rtmpfake.py) each send
  a KBPS stream (H.264 + AAC from ffmpeg, looped, paced in real time) for
  SECONDS, then end it. Checked: every message each publisher sent came
  out of its rtmpesrc (the FLV header, then one buffer a message).

serve: one rtmpesink mode=listen (max-connections above PEERS) plays a
  KBPS file in real time to PEERS light players in this process, which
  join within the first seconds. Checked: from its first key frame on,
  every player gets every video frame (no gap in the timestamps) and
  every frame of the file from that point; the sink's own count of frames
  it skipped for slow players is 0.

For each: the element process's CPU (user+system over the streaming
window), peak RSS, threads and file descriptors, and this process's CPU
(the peers' cost). The verdict is 'no frame lost' only for peers that
kept up: a publisher that fell more than 1 s behind its schedule (the
peers' process was short of CPU) is reported, not counted.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hostile"))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import gst  # noqa: E402
import rtmpfake as rf  # noqa: E402
from harness import Run, gi_python  # noqa: E402,F401
from peers import Peers, free_port, log, need, wait_port  # noqa: E402


def proc_stat(pid):
    """(cpu seconds, RSS MB, peak RSS MB, threads, fds) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tck
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                rss = int(ln.split()[1]) / 1024
            elif ln.startswith("VmHWM:"):
                hwm = int(ln.split()[1]) / 1024
    return cpu, rss, hwm, int(fields[17]), len(os.listdir(f"/proc/{pid}/fd"))


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Sampler:
    """Samples a process once a second: peak RSS, max threads."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []

    async def run(self, stop):
        while not stop.is_set():
            try:
                self.samples.append(proc_stat(self.pid))
            except OSError:
                return
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except asyncio.TimeoutError:
                pass


# ---- an asyncio RTMP peer -----------------------------------------------------

class Peer:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.cr = rf.ChunkReader()
        self.out_chunk = 128
        self.queue = []

    @classmethod
    async def open(cls, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        p = cls(reader, writer)
        writer.write(b"\x03" + b"\0" * 8 + os.urandom(1528))
        s = await reader.readexactly(1 + 1536 + 1536)
        writer.write(s[1:1537])
        return p

    def chunks(self, mtype, payload, msid=0, ts=0, csid=None):
        if csid is None:
            csid = 2 if mtype <= 6 else 3 if msid == 0 else 5 if mtype in (20, 18) else \
                4 if mtype == rf.AUDIO else 6
        return rf.chunk_message(csid, mtype, msid, ts, payload, self.out_chunk)

    def send(self, mtype, payload, msid=0, ts=0, csid=None):
        self.w.write(self.chunks(mtype, payload, msid, ts, csid))

    def command(self, name, txid, *args, msid=0):
        self.send(rf.COMMAND_AMF0, rf.amf0_all(name, txid, *args), msid=msid)

    async def messages(self):
        """Yields messages as they come; answers pings."""
        while True:
            while self.queue:
                yield self.queue.pop(0)
            data = await self.r.read(1 << 16)
            if not data:
                return
            for m in self.cr.feed(data):
                if m[0] == rf.USER_CONTROL and m[3][:2] == b"\x00\x06":
                    self.send(rf.USER_CONTROL, b"\x00\x07" + m[3][2:6])
                self.queue.append(m)

    async def command_reply(self, names):
        async for m in self.messages():
            if m[0] == rf.COMMAND_AMF0:
                v = rf.amf0_decode_all(m[3])
                if v and v[0] in names:
                    return v

    async def start(self, port, stream, publish):
        self.command("connect", 1, {"app": "live", "type": "nonprivate",
                                    "flashVer": "FMLE/3.0",
                                    "tcUrl": f"rtmp://127.0.0.1:{port}/live"})
        await self.command_reply({"_result"})
        if publish:
            self.send(rf.SET_CHUNK_SIZE, struct.pack(">I", 65536))
            self.out_chunk = 65536
        self.command("createStream", 2, None)
        v = await self.command_reply({"_result"})
        sid = int(v[3])
        if publish:
            self.command("publish", 0, None, stream, "live", msid=sid)
        else:
            self.command("play", 0, None, stream, -2000.0, msid=sid)
        while True:
            v = await self.command_reply({"onStatus"})
            code = v[3].get("code", "")
            if code in ("NetStream.Publish.Start", "NetStream.Play.Start"):
                return sid
            if v[3].get("level") == "error":
                raise ConnectionError(code)


# ---- ingest ---------------------------------------------------------------------

async def ingest(peers, n, seconds, media, max_queue):
    tags = rf.flv_tags(media)
    span = tags[-1][1] + 40
    ports = []
    while len(ports) < n:       # the kernel may give the same free port twice
        p = free_port()
        if p not in ports:
            ports.append(p)
    desc = " ".join(f"rtmpesrc name=src{i} mode=listen location=rtmp://127.0.0.1:{p}/live/s "
                    f"timeout=10 max-queue={max_queue} ! fakesink name=out{i} sync=false"
                    for i, p in enumerate(ports))
    run = Run(peers, desc, "ingest", seconds + 120, count=[f"out{i}" for i in range(n)],
              extra_env={"GST_DEBUG": "rtmpe*:2"})
    for p in ports:
        wait_port(p, 30, run.proc)
    pid = run.proc.pid
    conns = await asyncio.gather(*(Peer.open(p) for p in ports))
    sids = await asyncio.gather(*(c.start(p, "s", True) for c, p in zip(conns, ports)))
    log(f"ingest: {n} publishers publishing")
    # drain what the listeners send (acknowledgements, pings)
    drains = [asyncio.ensure_future(drain(c)) for c in conns]

    stop = asyncio.Event()
    sampler = Sampler(pid)
    stask = asyncio.ensure_future(sampler.run(stop))
    cpu0, t0, my0 = proc_stat(pid)[0], time.monotonic(), self_cpu()
    sent = [0] * n
    sent_bytes = [0] * n
    late = [0.0] * n
    late_at = [0] * n
    idx = [0] * n          # next tag
    loop = [0] * n
    total_loops = max(1, round(seconds * 1000 / span))
    headers = {i for i, (t, ts, body) in enumerate(tags)
               if t == rf.DATA_AMF0 or (len(body) > 1 and body[1] == 0)}
    done = 0
    prev = time.monotonic()
    while done < n:
        now_ms = (time.monotonic() - t0) * 1000
        if os.environ.get("LOAD_DEBUG") and time.monotonic() - prev > 0.2:
            log(f"pacing loop woke {time.monotonic() - prev:.2f} s late at {now_ms / 1000:.1f} s")
        prev = time.monotonic()
        done = 0
        for i, c in enumerate(conns):
            batch = bytearray()     # one write a tick: loopback TCP costs per call
            while loop[i] < total_loops:
                k = idx[i]
                t, ts, body = tags[k]
                due = loop[i] * span + ts
                if due > now_ms:
                    break
                if not (loop[i] and k in headers):
                    batch += c.chunks(t, body, msid=sids[i], ts=due)
                    sent[i] += 1
                    sent_bytes[i] += len(body)
                if now_ms - due > late[i]:
                    late[i] = now_ms - due
                    late_at[i] = due
                idx[i] += 1
                if idx[i] == len(tags):
                    idx[i] = 0
                    loop[i] += 1
            if batch:
                c.w.write(batch)
            if loop[i] >= total_loops:
                done += 1
        td = time.monotonic()
        await asyncio.gather(*(c.w.drain() for c in conns))
        if os.environ.get("LOAD_DEBUG") and time.monotonic() - td > 0.2:
            sizes = sorted(c.w.transport.get_write_buffer_size() for c in conns)
            log(f"drain took {time.monotonic() - td:.2f} s at {now_ms / 1000:.1f} s; "
                f"buffers {sizes[-3:]}")
        if os.environ.get("LOAD_DEBUG") and time.monotonic() - prev > 0.2:
            log(f"sending took {time.monotonic() - prev:.2f} s at {now_ms / 1000:.1f} s")
        prev = time.monotonic()
        await asyncio.sleep(0.05)
    cpu1, t1, my1 = proc_stat(pid)[0], time.monotonic(), self_cpu()
    stop.set()
    await stask
    for c, sid in zip(conns, sids):
        c.command("FCUnpublish", 3, None, "s")
        c.command("deleteStream", 4, None, float(sid))
        await c.w.drain()
    await asyncio.sleep(1)
    for c in conns:
        c.w.close()
    for d in drains:
        d.cancel()
    rc = await asyncio.get_event_loop().run_in_executor(None, run.wait, 60)
    counts = run.end.get("counts", {})
    lost = kept_up = 0
    for i in range(n):
        got = counts.get(f"out{i}", 0) - 1     # the FLV header
        if late[i] > 1000:
            continue
        kept_up += 1
        lost += max(0, sent[i] - got)
    return report("ingest", n, seconds, rc, sampler, t1 - t0, cpu1 - cpu0, my1 - my0,
                  peak=run.peak_rss_mb(), extra={
                      "publishers_kept_up": kept_up,
                      "messages_sent": sum(sent),
                      "messages_lost": lost,
                      "max_lateness_ms": round(max(late)),
                      "lateness_ms_p50_p90": [round(sorted(late)[n // 2]),
                                              round(sorted(late)[n * 9 // 10])],
                      "worst_lateness_at_s": round(late_at[late.index(max(late))] / 1000, 1),
                      "mbit_s_in": round(8 * sum(sent_bytes) / (t1 - t0) / 1e6, 1),
                  })


async def drain(c):
    try:
        async for _ in c.messages():
            pass
    except (ConnectionError, asyncio.CancelledError):
        pass


# ---- serve ------------------------------------------------------------------------

async def play(port, result, deadline):
    try:
        c = await Peer.open(port)
        await c.start(port, "s", False)
        first = last = None
        frames = gaps = missing = 0
        deltas = []
        async for m in c.messages():
            if m[0] == rf.VIDEO and len(m[3]) > 1 and m[3][1] == 1:
                if first is None:
                    if m[3][0] >> 4 != 1:
                        continue            # wait for a key frame
                    first = m[2]
                elif m[2] - last > 60:      # 25 fps: 40 ms a frame
                    gaps += 1
                    missing += round((m[2] - last) / 40) - 1
                if last is not None:
                    deltas.append(m[2] - last)
                last = m[2]
                frames += 1
            if time.monotonic() > deadline:
                break
        c.w.close()
        result.update(first=first, last=last, frames=frames, gaps=gaps, missing=missing)
    except Exception as e:  # noqa: BLE001
        result["error"] = repr(e)


async def serve(peers, n, seconds, media):
    port = free_port()
    tags = rf.flv_tags(media)
    video_ts = [ts for t, ts, body in tags if t == rf.VIDEO and len(body) > 1 and body[1] == 1]
    # flvdemux/flvmux give the FLV tags timestamps, so that the sink plays
    # the file in real time
    run = Run(peers, f"filesrc location={media} ! flvdemux name=d "
              "d.video ! queue ! h264parse ! flvmux name=m streamable=true ! "
              f"rtmpesink name=sink mode=listen location=rtmp://127.0.0.1:{port}/live/s "
              f"max-connections={n + 16} timeout=10 "
              "d.audio ! queue ! aacparse ! m.",
              "serve", seconds + 120, extra_env={"GST_DEBUG": "rtmpe*:2"})
    wait_port(port, 30, run.proc)
    pid = run.proc.pid
    stop = asyncio.Event()
    sampler = Sampler(pid)
    stask = asyncio.ensure_future(sampler.run(stop))
    cpu0, t0, my0 = proc_stat(pid)[0], time.monotonic(), self_cpu()
    results = [{} for _ in range(n)]
    deadline = t0 + seconds + 60
    tasks = [asyncio.ensure_future(play(port, results[i], deadline)) for i in range(n)]
    # the players' time ends with the stream (the sink's EOS ends them)
    stats = None
    await asyncio.sleep(seconds - 5)
    run.send("stats sink")
    await asyncio.sleep(1)
    ev = run.first("stats")
    stats = ev.get("structure") if ev else ""
    await asyncio.gather(*tasks)
    cpu1, t1, my1 = proc_stat(pid)[0], time.monotonic(), self_cpu()
    stop.set()
    await stask
    rc = await asyncio.get_event_loop().run_in_executor(None, run.wait, 60)
    skipped = sum(int(x) for x in re.findall(r"skipped-frames=\(guint64\)(\d+)", stats or ""))
    errors = [r["error"] for r in results if "error" in r]
    lost = sum(r.get("missing", 0) for r in results)
    short = 0
    for r in results:
        if r.get("first") is None:
            continue
        want = sum(1 for ts in video_ts if r["first"] <= ts <= r["last"])
        short += max(0, want - r["frames"])
    return report("serve", n, seconds, rc, sampler, t1 - t0, cpu1 - cpu0, my1 - my0,
                  peak=run.peak_rss_mb(), extra={
                      "players_ok": sum(1 for r in results if r.get("frames")),
                      "player_errors": len(errors),
                      "first_error": errors[0] if errors else None,
                      "video_frames_received": sum(r.get("frames", 0) for r in results),
                      "gaps": sum(r.get("gaps", 0) for r in results),
                      "frames_missing": lost + short,
                      "skipped_by_sink": skipped,
                  })


def report(what, n, seconds, rc, sampler, wall, cpu, my_cpu, peak, extra):
    rss = [s[1] for s in sampler.samples] or [0]
    out = {"what": what, "peers": n, "seconds": round(wall, 1), "element_exit": rc,
           "load_average_1min_at_end": os.getloadavg()[0],
           "element_cpu_percent": round(100 * cpu / wall, 1),
           "element_rss_mb_max": round(max(rss)), "element_peak_rss_mb": round(peak),
           "element_threads_max": max((s[3] for s in sampler.samples), default=0),
           "element_fds_max": max((s[4] for s in sampler.samples), default=0),
           "peers_cpu_percent": round(100 * my_cpu / wall, 1), **extra}
    log(f"{what}: " + json.dumps(out))
    return out


def make_media(peers, seconds, kbps):
    need("ffmpeg")
    out = peers.path(f"media-{seconds}s.flv")
    v = max(100, kbps - 64)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-b:v", f"{v}k", "-maxrate", f"{v}k", "-bufsize", f"{v}k", "-g", "25",
                    "-bf", "0", "-c:a", "aac", "-b:a", "64k", "-f", "flv", out], check=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--kbps", type=int, default=1000)
    ap.add_argument("--max-queue", type=int, default=2 << 20,
                    help="each rtmpesrc's max-queue (default 2 MB: 16 MB, the "
                    "element's default, times 200 is more than one process should hold)")
    ap.add_argument("what", nargs="*", default=["ingest", "serve"])
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = []
    with Peers("load") as peers:
        subprocess.run(["gst-inspect-1.0", "rtmpesrc"], capture_output=True, env=gst.env())
        if "ingest" in args.what:
            media = make_media(peers, 10, args.kbps)
            results.append(asyncio.run(ingest(peers, args.peers, args.seconds, media,
                                              args.max_queue)))
        if "serve" in args.what:
            media = make_media(peers, args.seconds, args.kbps)
            results.append(asyncio.run(serve(peers, args.peers, args.seconds, media)))
    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                      "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                               capture_output=True, text=True,
                                               cwd=HERE).stdout.strip(),
                      "machine": f"{os.uname().nodename}, {os.cpu_count()} cores",
                      "command": " ".join(sys.argv), "results": results}, indent=1))
    ok = all(r["element_exit"] == 0 and not r.get("messages_lost") and
             not r.get("frames_missing") and not r.get("player_errors") for r in results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
