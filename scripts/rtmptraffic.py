#!/usr/bin/env python3
"""Helper for scripts/capture-traffic.sh (Python 3 standard library only).

Subcommands:
  freeport                      print a free TCP port on 127.0.0.1
  waitlisten PORT [SECS]        poll until something listens on 127.0.0.1:PORT
                                (reads /proc/net/tcp, never connects: ffmpeg's
                                listen mode accepts exactly one connection)
  waitclosed PORT [SECS]        poll until no TCP connection on PORT is open
                                (only LISTEN and TIME_WAIT sockets left)
  waitlog FILE TEXT [SECS]      poll until FILE contains TEXT
  barrier PCAP UDPPORT [SECS]   send a unique UDP datagram to 127.0.0.1:UDPPORT
                                (again every 100 ms) until the capture written to
                                PCAP contains it: the capture is running, and every
                                packet sent before it is in the file
  extract PCAP PORT OUTDIR ROLE=NAME... [--min-video=N] [--require-ets=NAME]...
                                split the capture into its TCP connections to or
                                from PORT, one per client; ROLE is the first of
                                "publish"/"play" the client sends (or "any" for the
                                only connection); NAME "-" drops that connection;
                                writes OUTDIR/NAME.c2s.bin, OUTDIR/NAME.s2c.bin and
                                OUTDIR/NAME.txt after checking them against tshark
                                (reassembly and RTMP dissector); --min-video: the
                                media direction carries at least N video messages;
                                --require-ets: tshark must show extended timestamps
  flvtags FILE.flv OUTDIR       split an FLV file into one file per tag (00000.flv
                                is the FLV header), for multifilesrc
  parse FILE.c2s.bin FILE.s2c.bin
                                print our own chunk-stream parse and chunk-level
                                facts of a recorded pair (for NOTES.md)
"""

import os
import socket
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HANDSHAKE_LEN = 1 + 1536 + 1536  # C0+C1+C2 or S0+S1+S2


def die(msg):
    sys.stderr.write("rtmptraffic: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- polling


def poll(what, secs, check, interval=0.05):
    deadline = time.monotonic() + secs
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            die("timed out after %s s waiting for %s" % (secs, what))
        time.sleep(interval)


def tcp_sockets(port):
    """(state, local port, remote port) of every IPv4/IPv6 TCP socket on port."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            lport = int(cols[1].rsplit(":", 1)[1], 16)
            rport = int(cols[2].rsplit(":", 1)[1], 16)
            state = int(cols[3], 16)
            if port in (lport, rport):
                out.append((state, lport, rport))
    return out


TCP_LISTEN = 0x0A
TCP_TIME_WAIT = 0x06


def cmd_freeport(args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def cmd_waitlisten(args):
    port = int(args[0])
    secs = float(args[1]) if len(args) > 1 else 10

    def listening():
        return any(st == TCP_LISTEN and lp == port for st, lp, _ in tcp_sockets(port))

    poll("a listener on port %d" % port, secs, listening)


def cmd_waitclosed(args):
    port = int(args[0])
    secs = float(args[1]) if len(args) > 1 else 10

    def closed():
        return all(st in (TCP_LISTEN, TCP_TIME_WAIT) for st, _, _ in tcp_sockets(port))

    poll("the connections on port %d to close" % port, secs, closed)


def cmd_waitlog(args):
    path, text = args[0], args[1]
    secs = float(args[2]) if len(args) > 2 else 10

    def found():
        try:
            with open(path, errors="replace") as f:
                return text in f.read()
        except OSError:
            return False

    poll("%r in %s" % (text, path), secs, found)


# ---------------------------------------------------------------- pcap


def read_pcap(path, tolerate_truncation=False):
    """Yield (timestamp, IP packet bytes) for each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        if tolerate_truncation:
            return
        die("%s: no pcap header" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        die("%s: not a pcap file (pcapng is not supported)" % path)
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            if tolerate_truncation:
                return
            die("%s: truncated record header at %d" % (path, pos))
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        pos += 16
        if pos + incl > len(data):
            if tolerate_truncation:
                return
            die("%s: truncated record at %d" % (path, pos))
        frame = data[pos:pos + incl]
        pos += incl
        if incl != orig:
            die("%s: a packet was cut by the snapshot length (%d of %d bytes)" % (path, incl, orig))
        if linktype == 1:  # Ethernet
            ethertype = struct.unpack(">H", frame[12:14])[0]
            payload = frame[14:]
        elif linktype == 113:  # Linux cooked v1
            ethertype = struct.unpack(">H", frame[14:16])[0]
            payload = frame[16:]
        elif linktype == 276:  # Linux cooked v2
            ethertype = struct.unpack(">H", frame[0:2])[0]
            payload = frame[20:]
        elif linktype == 0:  # BSD loopback
            payload = frame[4:]
            ethertype = 0x0800 if payload[:1] and payload[0] >> 4 == 4 else 0x86DD
        elif linktype in (12, 101):  # raw IP
            payload = frame
            ethertype = 0x0800 if payload[0] >> 4 == 4 else 0x86DD
        else:
            die("%s: link type %d not supported" % (path, linktype))
        if ethertype in (0x0800, 0x86DD):
            yield sec + frac / 1e6, payload


def parse_ip(pkt):
    """Return (proto, src, dst, l4 bytes) or None."""
    version = pkt[0] >> 4
    if version == 4:
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack(">H", pkt[2:4])[0]
        proto = pkt[9]
        src, dst = socket.inet_ntop(socket.AF_INET, pkt[12:16]), socket.inet_ntop(socket.AF_INET, pkt[16:20])
        return proto, src, dst, pkt[ihl:total]
    if version == 6:
        plen = struct.unpack(">H", pkt[4:6])[0]
        proto = pkt[6]  # extension headers are not expected on loopback
        src, dst = socket.inet_ntop(socket.AF_INET6, pkt[8:24]), socket.inet_ntop(socket.AF_INET6, pkt[24:40])
        return proto, src, dst, pkt[40:40 + plen]
    return None


def cmd_barrier(args):
    path, port = args[0], int(args[1])
    secs = float(args[2]) if len(args) > 2 else 10
    token = ("capture-barrier %d %f" % (os.getpid(), time.time())).encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def seen():
        s.sendto(token, ("127.0.0.1", port))
        time.sleep(0.1)
        if not os.path.exists(path):
            return False
        for _, pkt in read_pcap(path, tolerate_truncation=True):
            ip = parse_ip(pkt)
            if ip and ip[0] == 17 and ip[3][8:] == token:
                return True
        return False

    poll("the capture %s to record a marker datagram" % path, secs, seen, interval=0)


class Direction:
    """One direction of a TCP connection, reassembled by sequence number."""

    def __init__(self):
        self.isn = None
        self.data = bytearray()
        self.pending = {}
        self.segments = 0
        self.payload_sum = 0
        self.retransmissions = 0
        self.retransmitted_bytes = 0
        self.out_of_order = 0
        self.fin = False
        self.rst = False

    def add(self, seq, flags, payload):
        if flags & 0x02:  # SYN
            self.isn = (seq + 1) & 0xFFFFFFFF
        if flags & 0x04:
            self.rst = True
        if payload:
            if self.isn is None:
                die("payload before the SYN: the capture started too late")
            self.segments += 1
            self.payload_sum += len(payload)
            off = (seq - self.isn) & 0xFFFFFFFF
            if off < len(self.data):
                self.retransmissions += 1
                old = bytes(self.data[off:off + len(payload)])
                if old != payload[:len(old)]:
                    die("retransmitted bytes differ from the first copy at offset %d" % off)
                self.retransmitted_bytes += len(old)
                payload = payload[len(old):]
                off += len(old)
            if off > len(self.data):
                self.out_of_order += 1
                if off in self.pending and self.pending[off] != payload[:len(self.pending[off])]:
                    die("two different segments for offset %d" % off)
                if off in self.pending:
                    self.retransmitted_bytes += min(len(payload), len(self.pending[off]))
                if len(payload) > len(self.pending.get(off, b"")):
                    self.pending[off] = payload
            else:
                self.data += payload
            self.drain()
        if flags & 0x01:
            self.fin = True

    def drain(self):
        """Append pending segments that now fit (they may overlap what is there)."""
        progress = True
        while progress:
            progress = False
            for off in sorted(self.pending):
                if off > len(self.data):
                    break
                seg = self.pending.pop(off)
                overlap = min(len(self.data) - off, len(seg))
                if bytes(self.data[off:off + overlap]) != seg[:overlap]:
                    die("a segment differs from bytes already received at offset %d" % off)
                self.retransmitted_bytes += overlap
                self.data += seg[overlap:]
                progress = True


def tcp_connections(path, port):
    """Connections to or from port, in order of their SYN: list of dicts."""
    conns = {}
    order = []
    for _, pkt in read_pcap(path):
        ip = parse_ip(pkt)
        if not ip or ip[0] != 6:
            continue
        _, src, dst, seg = ip
        sport, dport, seq = struct.unpack(">HHI", seg[0:8])
        off = (seg[12] >> 4) * 4
        flags = seg[13]
        payload = bytes(seg[off:])
        if dport == port:
            key, dirn = (src, sport), "c2s"
        elif sport == port:
            key, dirn = (dst, dport), "s2c"
        else:
            continue
        if key not in conns:
            if not (flags & 0x02):
                die("connection from %s:%d has no SYN in the capture" % key)
            conns[key] = {"client": key, "c2s": Direction(), "s2c": Direction()}
            order.append(key)
        conns[key][dirn].add(seq, flags, payload)
    out = []
    for key in order:
        c = conns[key]
        for d in ("c2s", "s2c"):
            if c[d].pending:
                die("%s:%d %s: bytes missing from the capture before offset %d"
                    % (key[0], key[1], d, min(c[d].pending)))
        out.append(c)
    return out


# ---------------------------------------------------------------- RTMP chunk stream


def amf0_string(body, pos):
    if pos + 3 <= len(body) and body[pos] == 0x02:
        n = struct.unpack(">H", body[pos + 1:pos + 3])[0]
        if pos + 3 + n <= len(body):
            return body[pos + 3:pos + 3 + n].decode("utf-8", "replace"), pos + 3 + n
    return None, pos


def amf0_number(body, pos):
    if pos + 9 <= len(body) and body[pos] == 0x00:
        return struct.unpack(">d", body[pos + 1:pos + 9])[0], pos + 9
    return None, pos


def fmt_number(v):
    if v is None:
        return ""
    return str(int(v)) if v == int(v) else repr(v)


def command_of(typeid, body):
    """(name, transaction id) of a command (20, 17) or data (18, 15) message."""
    if typeid in (17, 15):
        body = body[1:]  # AMF3 command/data messages start with a 0 format byte
    if typeid in (20, 17):
        name, pos = amf0_string(body, 0)
        txid, _ = amf0_number(body, pos)
        return name or "", fmt_number(txid)
    if typeid in (18, 15):
        name, _ = amf0_string(body, 0)
        return name or "", ""
    return "", ""


class ChunkParser:
    """Our own parse of one direction: independent of tshark, cross-checked with it."""

    def __init__(self, data, name):
        self.data = data
        self.name = name
        self.chunk_size = 128
        self.chunk_sizes = []  # every Set Chunk Size this direction sent
        self.state = {}  # csid -> dict
        self.messages = []
        self.fmt_count = [0, 0, 0, 0]
        self.ext_headers = 0  # chunk headers of type 0/1/2 carrying an extended timestamp
        self.ext_type3_repeated = 0
        self.ext_type3_repeated_abs = 0
        self.ext_type3_not_repeated = 0
        self.type3_new_messages = 0
        self.aborts = 0
        self.truncated = None
        self.csids = {}  # typeid -> set of csids
        self.msids = {}  # typeid -> set of msids

    def fail(self, pos, msg):
        die("%s: chunk stream at offset %d: %s" % (self.name, pos, msg))

    def parse(self):
        d = self.data
        if len(d) < HANDSHAKE_LEN:
            self.fail(0, "shorter than the handshake")
        pos = HANDSHAKE_LEN
        while pos < len(d):
            start = pos
            b = d[pos]
            fmt, csid = b >> 6, b & 0x3F
            # a connection may close inside a chunk header or body: keep that as a fact
            need = 1 + {0: 0, 1: 1}.get(csid, 0) + (11, 7, 3, 0)[fmt]
            if pos + need > len(d) or (fmt < 3 and d[pos + need - (11, 7, 3, 0)[fmt]:pos + need - (11, 7, 3, 0)[fmt] + 3]
                                       == b"\xff\xff\xff" and pos + need + 4 > len(d)):
                self.truncated = "the stream ends inside a chunk header at offset %d (%d bytes)" % (start, len(d) - start)
                break
            pos += 1
            if csid == 0:
                csid = 64 + d[pos]
                pos += 1
            elif csid == 1:
                csid = 64 + d[pos] + 256 * d[pos + 1]
                pos += 2
            self.fmt_count[fmt] += 1
            st = self.state.get(csid)
            if fmt != 0 and st is None:
                self.fail(start, "type %d chunk on chunk stream %d that has no header yet" % (fmt, csid))
            if fmt == 0:
                ts, length, typeid = struct.unpack(">I", b"\0" + d[pos:pos + 3])[0], \
                    struct.unpack(">I", b"\0" + d[pos + 3:pos + 6])[0], d[pos + 6]
                msid = struct.unpack("<I", d[pos + 7:pos + 11])[0]
                pos += 11
                ext = ts == 0xFFFFFF
                if ext:
                    ts = struct.unpack(">I", d[pos:pos + 4])[0]
                    pos += 4
                    self.ext_headers += 1
                if st and st["partial"] is not None:
                    self.fail(start, "new message header on chunk stream %d inside a message" % csid)
                # RTMP spec 5.3.1.2.4: a type 3 chunk after a type 0 reuses its timestamp as delta
                st = {"ts": ts, "delta": ts, "len": length, "type": typeid, "msid": msid,
                      "ext": ext, "extval": ts, "partial": None}
                self.state[csid] = st
                new_message = True
            elif fmt in (1, 2):
                delta = struct.unpack(">I", b"\0" + d[pos:pos + 3])[0]
                if fmt == 1:
                    st["len"] = struct.unpack(">I", b"\0" + d[pos + 3:pos + 6])[0]
                    st["type"] = d[pos + 6]
                    pos += 7
                else:
                    pos += 3
                ext = delta == 0xFFFFFF
                if ext:
                    delta = struct.unpack(">I", d[pos:pos + 4])[0]
                    pos += 4
                    self.ext_headers += 1
                if st["partial"] is not None:
                    self.fail(start, "new message header on chunk stream %d inside a message" % csid)
                st["delta"] = delta
                st["ts"] = (st["ts"] + delta) & 0xFFFFFFFF
                st["ext"] = ext
                st["extval"] = delta
                new_message = True
            else:
                new_message = st["partial"] is None
                if new_message:
                    self.type3_new_messages += 1
                    st["ts"] = (st["ts"] + st["delta"]) & 0xFFFFFFFF
                if st["ext"]:
                    # repeated as the header's field (a delta after type 1/2), or as the
                    # message's absolute timestamp, or not at all: count which
                    nxt = d[pos:pos + 4]
                    if nxt == struct.pack(">I", st["extval"]):
                        self.ext_type3_repeated += 1
                        pos += 4
                    elif nxt == struct.pack(">I", st["ts"] if new_message else st["start_ts"]):
                        self.ext_type3_repeated_abs += 1
                        pos += 4
                    else:
                        self.ext_type3_not_repeated += 1
            if new_message:
                st["partial"] = bytearray()
                st["start_ts"] = st["ts"]
                st["start_fmt"] = fmt
            take = min(self.chunk_size, st["len"] - len(st["partial"]))
            if pos + take > len(d):
                self.truncated = ("the stream ends inside a message: type %d, length %d, on chunk stream %d,"
                                  " %d of its bytes present (chunk header at offset %d)"
                                  % (st["type"], st["len"], csid, len(st["partial"]) + len(d) - pos, start))
                break
            st["partial"] += d[pos:pos + take]
            pos += take
            if len(st["partial"]) == st["len"]:
                self.complete(csid, st, start)
        return self

    def complete(self, csid, st, pos):
        body = bytes(st["partial"])
        st["partial"] = None
        typeid = st["type"]
        if typeid == 1:
            self.chunk_size = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            self.chunk_sizes.append(self.chunk_size)
            if self.chunk_size == 0:
                self.fail(pos, "Set Chunk Size 0")
        elif typeid == 2:
            aborted = struct.unpack(">I", body[:4])[0]
            self.aborts += 1
            if aborted in self.state:
                self.state[aborted]["partial"] = None
        command, txid = command_of(typeid, body)
        self.csids.setdefault(typeid, set()).add(csid)
        self.msids.setdefault(typeid, set()).add(st["msid"])
        self.messages.append({"csid": csid, "typeid": typeid, "msid": st["msid"], "timestamp": st["start_ts"],
                              "length": len(body), "command": command, "txid": txid, "body": body,
                              "fmt": st["start_fmt"]})


# ---------------------------------------------------------------- tshark


TSHARK_OPTS = ["-o", "rtmpt.max_packet_size:16777216", "-o", "tcp.desegment_tcp_streams:TRUE",
               "-o", "rtmpt.desegment:TRUE"]


def tshark(pcap, port, *args):
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,rtmpt" % port] + TSHARK_OPTS + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        die("%s failed: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r.stdout


def tshark_follow(pcap, port, client_port):
    """tshark's own reassembly of the connection: (c2s bytes, s2c bytes)."""
    out = tshark(pcap, port, "-q", "-z", "follow,tcp,raw,127.0.0.1:%d,127.0.0.1:%d" % (client_port, port))
    c2s, s2c = bytearray(), bytearray()
    node0 = None
    for line in out.decode().splitlines():
        if line.startswith("Node 0: "):
            node0 = line[8:]
            continue
        if not line.strip() or line.startswith(("=", "Follow:", "Filter:", "Node ")):
            continue
        raw = bytes.fromhex(line.strip())
        # lines of node 0 start in column 0, those of node 1 after a tab
        (s2c if line.startswith("\t") else c2s).extend(raw)
    if node0 is None or not node0.endswith(":%d" % client_port):
        die("tshark follow: node 0 is %r, expected the client port %d" % (node0, client_port))
    return bytes(c2s), bytes(s2c)


def tshark_messages(pcap, port, client_port):
    """The RTMP messages tshark's rtmpt dissector finds, in capture order."""
    xml = tshark(pcap, port, "-Y", "rtmpt && tcp.port==%d" % client_port, "-T", "pdml")
    root = ET.fromstring(xml)
    msgs = []
    handshakes = []
    state = {}
    for packet in root.iter("packet"):
        srcport = None
        analysis = []
        for proto in packet.iter("proto"):
            if proto.get("name") == "tcp":
                for f in proto.iter("field"):
                    if f.get("name") == "tcp.srcport":
                        srcport = int(f.get("show"))
                    if f.get("name") in ("tcp.analysis.retransmission", "tcp.analysis.out_of_order",
                                         "tcp.analysis.lost_segment", "tcp.analysis.fast_retransmission",
                                         "tcp.analysis.spurious_retransmission"):
                        analysis.append(f.get("name"))
        if "tcp.analysis.lost_segment" in analysis:
            die("tshark sees a lost segment in frame %s" % packet_frame(packet))
        dirn = "c2s" if srcport == client_port else "s2c"
        for proto in packet.findall("proto"):
            if proto.get("name") != "rtmpt":
                continue
            fields = {}
            for f in proto.iter("field"):
                n = f.get("name")
                if n and n.startswith("rtmpt.") and n not in fields:
                    fields[n] = f.get("show")
            if any(n.startswith("rtmpt.handshake.") for n in fields):
                handshakes.append((dirn, sorted(n[16:] for n in fields if n.startswith("rtmpt.handshake."))))
                continue
            if "rtmpt.header.format" not in fields:
                die("tshark: an rtmpt PDU without a header in frame %s" % packet_frame(packet))
            fmt = int(fields["rtmpt.header.format"])
            csid = int(fields["rtmpt.header.csid"])
            key = (dirn, csid)
            st = state.setdefault(key, {"ts": 0, "delta": 0, "len": None, "type": None, "msid": None})
            ets = fields.get("rtmpt.header.ets")
            if fmt == 0:
                st["ts"] = int(ets) if ets is not None else int(fields["rtmpt.header.timestamp"])
                st["delta"] = st["ts"]
                st["msid"] = int(fields["rtmpt.header.streamid"])
            elif fmt in (1, 2):
                st["delta"] = int(ets) if ets is not None else int(fields["rtmpt.header.timestampdelta"])
                st["ts"] = (st["ts"] + st["delta"]) & 0xFFFFFFFF
            else:
                st["ts"] = (st["ts"] + st["delta"]) & 0xFFFFFFFF
            calculated = fields.get("rtmpt.header.timestamp")
            if fmt != 0 and calculated is not None and int(calculated) != st["ts"]:
                die("tshark frame %s: calculated timestamp %s, we track %d" % (packet_frame(packet), calculated, st["ts"]))
            if "rtmpt.header.bodysize" in fields:
                st["len"] = int(fields["rtmpt.header.bodysize"])
            if "rtmpt.header.typeid" in fields:
                st["type"] = int(fields["rtmpt.header.typeid"], 0)
            info = proto.get("showname", "")
            prefix = "Real Time Messaging Protocol ("
            if info.startswith(prefix) and info.endswith(")"):
                info = info[len(prefix):-1]
            body = None
            for f in proto.findall("field"):
                if f.get("show") == "RTMP Body":
                    body = bytes.fromhex(f.get("value", ""))
            command, txid = command_of(st["type"], body or b"")
            msgs.append({"dir": dirn, "csid": csid, "typeid": st["type"], "msid": st["msid"], "timestamp": st["ts"],
                         "length": st["len"], "command": command, "txid": txid, "info": info,
                         "bodylen": None if body is None else len(body), "ets": ets is not None})
    return handshakes, msgs


def packet_frame(packet):
    for f in packet.iter("field"):
        if f.get("name") == "num":
            return f.get("show")
    return "?"


# ---------------------------------------------------------------- extract


COLUMNS = ["dir", "csid", "typeid", "msid", "timestamp", "length", "command", "txid", "info"]


def first_role(parser):
    for m in parser.messages:
        if m["typeid"] in (20, 17) and m["command"] in ("publish", "play"):
            return m["command"]
    return None


def check_against_tshark(name, ours, theirs):
    for dirn in ("c2s", "s2c"):
        a = ours[dirn].messages
        b = [m for m in theirs if m["dir"] == dirn]
        if len(a) != len(b):
            die("%s %s: we parse %d messages, tshark %d" % (name, dirn, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            for k in ("csid", "typeid", "msid", "timestamp", "length", "command", "txid"):
                if x[k] != y[k]:
                    die("%s %s message %d: %s is %r for us, %r for tshark" % (name, dirn, i, k, x[k], y[k]))
            if y["bodylen"] is not None and y["bodylen"] != x["length"]:
                die("%s %s message %d: tshark shows a body of %d bytes, length %d"
                    % (name, dirn, i, y["bodylen"], x["length"]))


def facts(name, p):
    """Chunk-level facts of one direction, as lines of text."""
    types = {}
    for m in p.messages:
        types[m["typeid"]] = types.get(m["typeid"], 0) + 1
    lines = ["%s: %d bytes, %d messages, by type %s" % (name, len(p.data), len(p.messages),
                                                          ", ".join("%d:%d" % kv for kv in sorted(types.items())))]
    lines.append("  chunk sizes set: %s; chunk headers by fmt 0/1/2/3: %s; type-3 chunks starting a message: %d"
                 % (p.chunk_sizes or "none", "/".join(map(str, p.fmt_count)), p.type3_new_messages))
    starts = {}
    for m in p.messages:
        starts.setdefault(m["typeid"], {}).setdefault(m["fmt"], 0)
        starts[m["typeid"]][m["fmt"]] += 1
    lines.append("  header type of each message's first chunk, by message type: %s" % "; ".join(
        "%d:%s" % (t, ",".join("fmt%d*%d" % kv for kv in sorted(f.items()))) for t, f in sorted(starts.items())))
    lines.append("  csids by type: %s" % "; ".join("%d:%s" % (t, sorted(c)) for t, c in sorted(p.csids.items())))
    lines.append("  msids by type: %s" % "; ".join("%d:%s" % (t, sorted(c)) for t, c in sorted(p.msids.items())))
    if p.ext_headers:
        lines.append("  extended timestamps: %d headers of type 0/1/2; type-3 chunks after them: %d repeat the header's"
                     " field, %d carry the absolute timestamp instead, %d have none"
                     % (p.ext_headers, p.ext_type3_repeated, p.ext_type3_repeated_abs, p.ext_type3_not_repeated))
    if p.aborts:
        lines.append("  abort messages: %d" % p.aborts)
    if p.truncated:
        lines.append("  NOTE: %s" % p.truncated)
    media = [m for m in p.messages if m["typeid"] in (8, 9)]
    if media:
        for t, label in ((9, "video"), (8, "audio")):
            ms = [m for m in media if m["typeid"] == t]
            if ms:
                lines.append("  %s: %d messages, timestamps %d..%d, %d bytes" % (
                    label, len(ms), ms[0]["timestamp"], ms[-1]["timestamp"], sum(m["length"] for m in ms)))
    return lines


def cmd_extract(args):
    pcap, port, outdir = args[0], int(args[1]), args[2]
    opts = [a for a in args[3:] if a.startswith("--")]
    wanted = dict(a.split("=", 1) for a in args[3:] if not a.startswith("--"))
    min_video = 0
    need_ets = set()
    for o in opts:
        if o.startswith("--min-video="):
            min_video = int(o.split("=", 1)[1])
        elif o.startswith("--require-ets="):
            need_ets.add(o.split("=", 1)[1])
        else:
            die("unknown option %s" % o)
    conns = tcp_connections(pcap, port)
    if "any" in wanted and len(conns) != 1:
        die("%s: expected one connection, found %d" % (pcap, len(conns)))
    done = set()
    for c in conns:
        client_port = c["client"][1]
        for dirn in ("c2s", "s2c"):
            d = c[dirn]
            if d.retransmissions or d.out_of_order:
                # reassembly by sequence number copes (copies were checked to be identical)
                print("NOTE: connection from port %d %s: %d retransmitted segments (%d bytes), %d out of order"
                      % (client_port, dirn, d.retransmissions, d.retransmitted_bytes, d.out_of_order))
            if len(d.data) != d.payload_sum - d.retransmitted_bytes:
                die("%s: %s length %d is not the sum of its TCP payloads %d less %d retransmitted"
                    % (pcap, dirn, len(d.data), d.payload_sum, d.retransmitted_bytes))
            if not (d.fin or d.rst or c["c2s" if dirn == "s2c" else "s2c"].rst):
                die("%s: connection from port %d: no FIN or RST %s: the capture stopped too early" % (pcap, client_port, dirn))
        c2s, s2c = bytes(c["c2s"].data), bytes(c["s2c"].data)
        if c2s[:1] != b"\x03" or s2c[:1] != b"\x03":
            die("%s: port %d: C0 is %r and S0 %r, not 0x03" % (pcap, client_port, c2s[:1], s2c[:1]))
        parsed = {"c2s": ChunkParser(c2s, "c2s").parse(), "s2c": ChunkParser(s2c, "s2c").parse()}
        role = first_role(parsed["c2s"])
        name = wanted.get(role) or wanted.get("any")
        if name is None:
            die("%s: a connection from port %d whose first stream command is %r: no name given for it"
                % (pcap, client_port, role))
        if name == "-":
            print("(connection from port %d, first stream command %s: not kept)" % (client_port, role))
            continue
        if name in done:
            die("%s: two connections for %s" % (pcap, name))
        done.add(name)
        media_dir = "s2c" if role == "play" else "c2s"
        videos = sum(1 for m in parsed[media_dir].messages if m["typeid"] == 9)
        if videos < min_video:
            die("%s: only %d video messages %s, expected at least %d" % (name, videos, media_dir, min_video))
        # tshark's independent reassembly must give the same bytes
        t_c2s, t_s2c = tshark_follow(pcap, port, client_port)
        if (t_c2s, t_s2c) != (c2s, s2c):
            die("%s: tshark's reassembly differs from ours (%d/%d vs %d/%d bytes)"
                % (name, len(t_c2s), len(t_s2c), len(c2s), len(s2c)))
        handshakes, tmsgs = tshark_messages(pcap, port, client_port)
        seen = {(d, tuple(h)) for d, h in handshakes}
        for want in (("c2s", ("c0", "c1")), ("s2c", ("s0", "s1", "s2")), ("c2s", ("c2",))):
            if want not in seen:
                die("%s: tshark does not show the handshake part %s %s (it shows %s)" % (name, want[0], want[1], handshakes))
        check_against_tshark(name, parsed, tmsgs)
        if name in need_ets:
            ets = [m for m in tmsgs if m["ets"]]
            if not ets:
                die("%s: tshark shows no extended timestamp field" % name)
            print("%s: tshark shows %d chunk headers with an extended timestamp field (%s)"
                  % (name, len(ets), ", ".join(sorted({m["dir"] for m in ets}))))
        with open(os.path.join(outdir, name + ".c2s.bin"), "wb") as f:
            f.write(c2s)
        with open(os.path.join(outdir, name + ".s2c.bin"), "wb") as f:
            f.write(s2c)
        with open(os.path.join(outdir, name + ".txt"), "w") as f:
            f.write("\t".join(COLUMNS) + "\n")
            for m in tmsgs:
                f.write("\t".join(clean(m[k]) for k in COLUMNS) + "\n")
        print("%s: c2s %d bytes, s2c %d bytes, %d messages (tshark and our parse agree)"
              % (name, len(c2s), len(s2c), len(tmsgs)))
        for dirn in ("c2s", "s2c"):
            print("\n".join("  " + l for l in facts(dirn, parsed[dirn])))
    missing = set(wanted.values()) - done - {"-"}
    if missing:
        die("%s: no connection found for %s" % (pcap, ", ".join(sorted(missing))))


def clean(v):
    return "" if v is None else str(v).replace("\t", " ").replace("\n", " ")


def cmd_parse(args):
    c2s = open(args[0], "rb").read()
    s2c = open(args[1], "rb").read()
    for name, data in (("c2s", c2s), ("s2c", s2c)):
        p = ChunkParser(data, name).parse()
        print("\n".join(facts(name, p)))
        for m in p.messages:
            print("  %s csid=%d type=%d msid=%d ts=%d len=%d %s %s" % (
                name, m["csid"], m["typeid"], m["msid"], m["timestamp"], m["length"], m["command"], m["txid"]))


def cmd_flvtags(args):
    """Split an FLV file into OUTDIR/00000.flv (FLV header and PreviousTagSize0),
    00001.flv, ... (one tag and its PreviousTagSize each)."""
    path, outdir = args[0], args[1]
    with open(path, "rb") as f:
        d = f.read()
    if d[:3] != b"FLV":
        die("%s: not an FLV file" % path)
    os.makedirs(outdir, exist_ok=True)
    hlen = struct.unpack(">I", d[5:9])[0]
    pieces = [d[:hlen + 4]]
    pos = hlen + 4
    while pos < len(d):
        if pos + 11 > len(d):
            die("%s: truncated tag header at %d" % (path, pos))
        size = struct.unpack(">I", b"\0" + d[pos + 1:pos + 4])[0]
        end = pos + 11 + size + 4
        if end > len(d):
            die("%s: truncated tag at %d" % (path, pos))
        pieces.append(d[pos:end])
        pos = end
    for i, piece in enumerate(pieces):
        with open(os.path.join(outdir, "%05d.flv" % i), "wb") as f:
            f.write(piece)


def main():
    if len(sys.argv) < 2:
        die("usage: see the docstring of %s" % sys.argv[0])
    cmds = {"freeport": cmd_freeport, "waitlisten": cmd_waitlisten, "waitclosed": cmd_waitclosed,
            "waitlog": cmd_waitlog, "barrier": cmd_barrier, "flvtags": cmd_flvtags, "extract": cmd_extract, "parse": cmd_parse}
    f = cmds.get(sys.argv[1])
    if f is None:
        die("unknown subcommand %s" % sys.argv[1])
    f(sys.argv[2:])


if __name__ == "__main__":
    main()
