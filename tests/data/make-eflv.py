#!/usr/bin/env python3
# Writes an Enhanced RTMP FLV (veovera E-RTMP v1/v2 headers) from the first
# video stream (HEVC -> hvc1, AV1 -> av01, VP9 -> vp09) and first audio
# stream (Opus -> Opus, FLAC -> fLaC) of a file ffprobe can read, and next to
# it FLV.packets: the coded frames as
# "codec_type,pts,dts,size,flags" lines in file order (the format of
# `ffprobe -show_entries packet=codec_type,pts,dts,size,flags -of csv=p=0`),
# so tests can check what they parse. Debian 12's FFmpeg 5.1 cannot write
# Enhanced FLV itself; this takes its codec bytes (extradata, packets) from
# `ffprobe -show_data` and only adds the FLV framing.
#
# Usage: make-eflv.py INPUT OUTPUT.flv
#
# Timestamps are milliseconds, shifted so that the smallest DTS is 0. Video
# frames whose composition time is 0 use CodedFramesX (no SI24), the others
# CodedFrames with the SI24, for hvc1; av01 and vp09 have no composition
# time.
import json
import struct
import subprocess
import sys

VIDEO_FOURCC = {"hevc": b"hvc1", "av1": b"av01", "vp9": b"vp09"}
AUDIO_FOURCC = {"opus": b"Opus", "flac": b"fLaC"}


def probe(path, what):
    out = subprocess.run(
        ["ffprobe", "-v", "error", what, "-show_data", "-of", "json", path],
        check=True, capture_output=True).stdout
    return json.loads(out)


def hexdump_bytes(text):
    data = bytearray()
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        hexpart = line.split(":", 1)[1][:40]
        data += bytes.fromhex(hexpart.replace(" ", ""))
    return bytes(data)


def ms(value, time_base):
    num, den = (int(x) for x in time_base.split("/"))
    return (value * num * 1000 + den // 2) // den if value >= 0 else \
        -((-value * num * 1000 + den // 2) // den)


def tag(tag_type, timestamp, data):
    head = bytes([tag_type]) + struct.pack(">I", len(data))[1:]
    head += struct.pack(">I", timestamp & 0xffffff)[1:]
    head += bytes([(timestamp >> 24) & 0xff]) + b"\0\0\0"
    return head + data + struct.pack(">I", 11 + len(data))


def amf_string(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def main():
    src, dst = sys.argv[1], sys.argv[2]
    streams = probe(src, "-show_streams")["streams"]
    packets = probe(src, "-show_packets")["packets"]
    video = next((s for s in streams if s["codec_type"] == "video"), None)
    audio = next((s for s in streams if s["codec_type"] == "audio"), None)

    tbs = {s["index"]: s["time_base"] for s in streams}
    dts_min = min(ms(p["dts"], tbs[p["stream_index"]]) for p in packets)

    out = bytearray(b"FLV\x01")
    out += bytes([(0x04 if audio else 0) | (0x01 if video else 0)])
    out += struct.pack(">I", 9) + b"\0\0\0\0"
    lines = []

    meta = amf_string("onMetaData") + b"\x08" + struct.pack(">I", 1)
    if video:
        meta += struct.pack(">H", 12) + b"videocodecid" + b"\x00" + \
            struct.pack(">d", float(struct.unpack(
                ">I", VIDEO_FOURCC[video["codec_name"]])[0]))
    meta += b"\0\0\x09"
    out += tag(18, 0, meta)

    if video:
        fourcc = VIDEO_FOURCC[video["codec_name"]]
        # frame type key (1), SequenceStart (0)
        out += tag(9, 0, bytes([0x80 | 0x10 | 0]) + fourcc +
                   hexdump_bytes(video.get("extradata")))
    if audio:
        fourcc = AUDIO_FOURCC[audio["codec_name"]]
        # SoundFormat 9 (ExHeader), SequenceStart (0)
        out += tag(8, 0, bytes([0x90 | 0]) + fourcc +
                   hexdump_bytes(audio.get("extradata")))

    # FLV wants decoding order across streams
    packets.sort(key=lambda p: ms(p["dts"], tbs[p["stream_index"]]))
    last = 0
    for p in packets:
        data = hexdump_bytes(p["data"])
        tb = tbs[p["stream_index"]]
        dts = ms(p["dts"], tb) - dts_min
        pts = ms(p["pts"], tb) - dts_min
        last = max(last, dts)
        key = "K" in p["flags"]
        if video and p["stream_index"] == video["index"]:
            fourcc = VIDEO_FOURCC[video["codec_name"]]
            frame = 0x10 if key else 0x20
            cts = pts - dts
            if fourcc == b"hvc1" and cts != 0:
                body = bytes([0x80 | frame | 1]) + fourcc + \
                    struct.pack(">i", cts)[1:]
            else:
                body = bytes([0x80 | frame | 3]) + fourcc
                pts = dts
            out += tag(9, dts, body + data)
            lines.append("video,%d,%d,%d,%s" % (pts, dts, len(data),
                                                "K_" if key else "__"))
        elif audio and p["stream_index"] == audio["index"]:
            fourcc = AUDIO_FOURCC[audio["codec_name"]]
            out += tag(8, dts, bytes([0x90 | 1]) + fourcc + data)
            lines.append("audio,%d,%d,%d,K_" % (dts, dts, len(data)))

    if video:
        fourcc = VIDEO_FOURCC[video["codec_name"]]
        out += tag(9, last, bytes([0x80 | 0x10 | 2]) + fourcc)  # SequenceEnd

    with open(dst, "wb") as f:
        f.write(out)
    with open(dst + ".packets", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
