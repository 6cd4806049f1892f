"""Just enough RTMP to bring an element to the point of attack.

Python 3 standard library only. Written for the hostile-peer and fault tests
(tests/hostile/): handshakes (simple, and RTMPE S1/C1 built by hand with a
chosen Diffie-Hellman public key), a chunk writer and reader, AMF0, the
connect/createStream/play/publish exchanges of a server and of a client,
and FLV tags to replay real media. It trusts nothing it reads but checks
little: it is a test peer, not an implementation.

Facts: shared/specs/rtmpe-handshake.md (digest layouts, genuine keys, DH
group), the RTMP specification and its errata (chunk headers).
"""

import hashlib
import hmac
import os
import socket
import struct
import threading
import time

# ---- AMF0 --------------------------------------------------------------------


class Undefined:
    pass


UNDEFINED = Undefined()


def amf0(v):
    """One AMF0 value: None is null, dict an object (insertion order), list a
    strict array, str a string (long string past 65535 bytes)."""
    if v is None:
        return b"\x05"
    if v is UNDEFINED:
        return b"\x06"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        b = v.encode()
        if len(b) > 0xFFFF:
            return b"\x0c" + struct.pack(">I", len(b)) + b
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        out = bytearray(b"\x03")
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf0(x)
        return bytes(out + b"\x00\x00\x09")
    if isinstance(v, (list, tuple)):
        return b"\x0a" + struct.pack(">I", len(v)) + b"".join(amf0(x) for x in v)
    raise TypeError(type(v))


def amf0_all(*values):
    return b"".join(amf0(v) for v in values)


class AmfError(Exception):
    pass


def amf0_decode(b, pos=0, depth=0):
    """(value, next position)."""
    if depth > 100:
        raise AmfError("too deep")
    if pos >= len(b):
        raise AmfError("truncated")
    t = b[pos]
    pos += 1
    if t == 0x00:
        return struct.unpack_from(">d", b, pos)[0], pos + 8
    if t == 0x01:
        return b[pos] != 0, pos + 1
    if t == 0x02:
        n = struct.unpack_from(">H", b, pos)[0]
        return b[pos + 2:pos + 2 + n].decode("utf-8", "replace"), pos + 2 + n
    if t == 0x0C:
        n = struct.unpack_from(">I", b, pos)[0]
        return b[pos + 4:pos + 4 + n].decode("utf-8", "replace"), pos + 4 + n
    if t in (0x03, 0x08):
        if t == 0x08:
            pos += 4
        obj = {}
        while True:
            n = struct.unpack_from(">H", b, pos)[0]
            pos += 2
            if n == 0 and b[pos] == 0x09:
                return obj, pos + 1
            k = b[pos:pos + n].decode("utf-8", "replace")
            pos += n
            obj[k], pos = amf0_decode(b, pos, depth + 1)
    if t == 0x05:
        return None, pos
    if t == 0x06:
        return UNDEFINED, pos
    if t == 0x0A:
        n = struct.unpack_from(">I", b, pos)[0]
        pos += 4
        out = []
        for _ in range(n):
            v, pos = amf0_decode(b, pos, depth + 1)
            out.append(v)
        return out, pos
    if t == 0x0B:
        return struct.unpack_from(">d", b, pos)[0], pos + 10
    raise AmfError(f"AMF0 type {t:#x} at {pos - 1}")


def amf0_decode_all(b):
    out, pos = [], 0
    while pos < len(b):
        v, pos = amf0_decode(b, pos)
        out.append(v)
    return out


def amf0_nested(depth, leaf=1.0):
    """An AMF0 object nested @depth deep: {"a": {"a": ... leaf}}."""
    return (b"\x03\x00\x01a" * depth) + amf0(leaf) + (b"\x00\x00\x09" * depth)


# ---- messages ----------------------------------------------------------------

SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
AUDIO, VIDEO, DATA_AMF0, COMMAND_AMF0, AGGREGATE = 8, 9, 18, 20, 22


def basic_header(fmt, csid):
    if 2 <= csid <= 63:
        return bytes([fmt << 6 | csid])
    if csid <= 319:
        return bytes([fmt << 6, csid - 64])
    return bytes([fmt << 6 | 1, (csid - 64) & 0xFF, (csid - 64) >> 8])


def chunk_message(csid, mtype, msid, ts, payload, chunk_size=128, length=None):
    """The chunks of one message: a type 0 header, then type 3
    continuations. @length overrides the header's length field (to lie)."""
    ext = ts >= 0xFFFFFF
    n = len(payload) if length is None else length
    out = bytearray(basic_header(0, csid))
    out += struct.pack(">I", 0xFFFFFF if ext else ts)[1:]
    out += struct.pack(">I", n)[1:] + bytes([mtype]) + struct.pack("<I", msid)
    if ext:
        out += struct.pack(">I", ts)
    cont = basic_header(3, csid) + (struct.pack(">I", ts) if ext else b"")
    for i in range(0, max(len(payload), 1), chunk_size):
        if i:
            out += cont
        out += payload[i:i + chunk_size]
    return bytes(out)


class ChunkReader:
    """Chunk stream bytes in, (type, stream id, timestamp, payload) out.
    Keeps a read position instead of shifting its buffer for every chunk,
    so that it keeps up with a few Mbit/s (tests/reliability/load.py)."""

    def __init__(self):
        self.chunk_size = 128
        self.buf = bytearray()
        self.pos = 0
        self.streams = {}
        self.window = 0
        self.bytes_in = 0

    def feed(self, data):
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data
        self.bytes_in += len(data)
        out = []
        while True:
            m = self._one()
            if m is None:
                break
            if m is True:
                continue
            if m[0] == SET_CHUNK_SIZE and len(m[3]) >= 4:
                self.chunk_size = struct.unpack(">I", m[3][:4])[0] & 0x7FFFFFFF
            elif m[0] == WINDOW_ACK_SIZE and len(m[3]) >= 4:
                self.window = struct.unpack(">I", m[3][:4])[0]
            out.append(m)
        return out

    def _one(self):
        b = self.buf
        p0 = self.pos
        avail = len(b) - p0
        if avail <= 0:
            return None
        fmt, low = b[p0] >> 6, b[p0] & 0x3F
        if low == 0:
            if avail < 2:
                return None
            csid, p = 64 + b[p0 + 1], p0 + 2
        elif low == 1:
            if avail < 3:
                return None
            csid, p = 64 + b[p0 + 1] + 256 * b[p0 + 2], p0 + 3
        else:
            csid, p = low, p0 + 1
        st = self.streams.get(csid)
        if st is None:
            st = self.streams[csid] = {"ts": 0, "delta": 0, "len": 0, "type": 0,
                                       "msid": 0, "ext": False, "data": None}
        mh = (11, 7, 3, 0)[fmt]
        end = len(b)
        if end < p + mh:
            return None
        if fmt < 3:
            tsf = int.from_bytes(b[p:p + 3], "big")
            ext = tsf == 0xFFFFFF
        else:
            tsf = 0
            ext = st["ext"]
        need = p + mh + (4 if ext else 0)
        if end < need:
            return None
        tsv = int.from_bytes(b[p + mh:p + mh + 4], "big") if ext else None
        if st["data"] is None:
            if fmt <= 1:
                st["len"] = int.from_bytes(b[p + 3:p + 6], "big")
                st["type"] = b[p + 6]
            if fmt == 0:
                st["msid"] = struct.unpack_from("<I", b, p + 7)[0]
                st["ts"] = tsv if ext else tsf
                st["delta"] = 0
            elif fmt < 3:
                st["delta"] = tsv if ext else tsf
                st["ts"] += st["delta"]
            else:
                st["ts"] += st["delta"]
            if fmt < 3:
                st["ext"] = ext
            st["data"] = bytearray()
        take = min(self.chunk_size, st["len"] - len(st["data"]))
        if end < need + take:
            return None
        st["data"] += b[need:need + take]
        self.pos = need + take
        if len(st["data"]) < st["len"]:
            return True
        data, st["data"] = bytes(st["data"]), None
        return (st["type"], st["msid"], st["ts"], data)


# ---- handshake -----------------------------------------------------------------

FP_TEXT = b"Genuine Adobe Flash Player 001"
FMS_TEXT = b"Genuine Adobe Flash Media Server 001"
TAIL = bytes.fromhex("f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae")
FP_FULL, FMS_FULL = FP_TEXT + TAIL, FMS_TEXT + TAIL
DH_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF", 16)


def _sum4(b, o):
    return b[o] + b[o + 1] + b[o + 2] + b[o + 3]


def digest_offset(body, layout):
    return _sum4(body, 8) % 728 + 12 if layout == "digest-first" else _sum4(body, 772) % 728 + 776


def dh_offset(body, layout):
    return _sum4(body, 1532) % 632 + 772 if layout == "digest-first" else _sum4(body, 768) % 632 + 8


def _hmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def make_digest_packet(key_text, version, layout="digest-first", dh_public=None):
    """A C1/S1 body (1536 bytes) with a valid digest under @key_text and,
    when given, @dh_public (an int, 128 bytes big-endian) at the layout's
    DH offset."""
    body = bytearray(os.urandom(1536))
    body[0:4] = b"\0\0\0\0"
    body[4:8] = struct.pack(">I", version)
    if dh_public is not None:
        o = dh_offset(body, layout)
        body[o:o + 128] = dh_public.to_bytes(128, "big")
    d = digest_offset(body, layout)
    body[d:d + 32] = _hmac(key_text, bytes(body[:d] + body[d + 32:]))
    return bytes(body)


def find_digest(body, key_text):
    """The peer's digest and its layout, or (None, None)."""
    for layout in ("digest-first", "key-first"):
        d = digest_offset(body, layout)
        if _hmac(key_text, body[:d] + body[d + 32:]) == body[d:d + 32]:
            return body[d:d + 32], layout
    return None, None


def signed_reply(peer_digest, full_key):
    """A C2/S2 body signed for @peer_digest (type 06: no wrap)."""
    body = bytearray(os.urandom(1536))
    k = _hmac(full_key, peer_digest)
    body[1504:] = _hmac(k, bytes(body[:1504]))
    return bytes(body)


def recv_exact(sock, n):
    out = bytearray()
    while len(out) < n:
        b = sock.recv(n - len(out))
        if not b:
            raise ConnectionError(f"peer closed after {len(out)} of {n} bytes")
        out += b
    return bytes(out)


def server_handshake(sock):
    """Plain server handshake (S1 version 0: simple mode, S2 echoes C1).
    Returns what the client sent beyond C2 (nothing, normally)."""
    c0c1 = recv_exact(sock, 1537)
    if c0c1[0] != 3:
        raise ConnectionError(f"C0 {c0c1[0]:#x}, not plain RTMP")
    s1 = b"\0" * 8 + os.urandom(1528)
    sock.sendall(b"\x03" + s1 + c0c1[1:])
    recv_exact(sock, 1536)


def server_handshake_rtmpe_bad_key(sock, public_key, layout="digest-first"):
    """Answers an RTMPE C0/C1 with S0=06 and an S1 whose digest verifies but
    whose DH public key is @public_key, plus a properly signed S2, so that
    the key check is what must refuse it."""
    c0c1 = recv_exact(sock, 1537)
    if c0c1[0] != 6:
        raise ConnectionError(f"C0 {c0c1[0]:#x}, not RTMPE 06")
    cdig, _ = find_digest(c0c1[1:], FP_TEXT)
    if cdig is None:
        raise ConnectionError("the client's C1 digest does not verify")
    s1 = make_digest_packet(FMS_TEXT, 0x03050101, layout, public_key)
    sock.sendall(b"\x06" + s1 + signed_reply(cdig, FMS_FULL))


def client_handshake(sock):
    """Plain client handshake, simple mode."""
    sock.sendall(b"\x03" + b"\0" * 8 + os.urandom(1528))
    s = recv_exact(sock, 1 + 1536 + 1536)
    sock.sendall(s[1:1537])


def client_c0c1_rtmpe_bad_key(public_key, layout="key-first"):
    """An RTMPE C0+C1 (06) whose digest verifies and whose DH key is
    @public_key."""
    return b"\x06" + make_digest_packet(FP_TEXT, 0x80000302, layout, public_key)


# ---- a connection ----------------------------------------------------------------


class Conn:
    """A socket with a chunk reader and writer. Everything blocks, with a
    deadline."""

    def __init__(self, sock, timeout=10):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.reader = ChunkReader()
        self.chunk_size = 128
        self.queue = []
        self.acks_seen = 0
        self.received = []   # every message, in order (type, msid, ts, len)
        self.txid = 1

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, mtype, payload, msid=0, ts=0, csid=None):
        if csid is None:
            csid = 2 if mtype <= 6 else 3 if mtype in (COMMAND_AMF0, DATA_AMF0) and msid == 0 \
                else 5 if mtype in (COMMAND_AMF0, DATA_AMF0) else 4 if mtype == AUDIO else 6
        self.sock.sendall(chunk_message(csid, mtype, msid, ts, payload, self.chunk_size))
        if mtype == SET_CHUNK_SIZE:
            self.chunk_size = struct.unpack(">I", payload[:4])[0]

    def control(self, mtype, value, extra=b""):
        self.send(mtype, struct.pack(">I", value) + extra)

    def user_control(self, event, value):
        self.send(USER_CONTROL, struct.pack(">HI", event, value))

    def command(self, name, txid, *args, msid=0):
        self.send(COMMAND_AMF0, amf0_all(name, txid, *args), msid=msid)

    def status(self, msid, code, level="status", description=""):
        self.command("onStatus", 0, None,
                     {"level": level, "code": code, "description": description}, msid=msid)

    def recv_msg(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.queue:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("peer closed")
            for m in self.reader.feed(data):
                self.received.append((m[0], m[1], m[2], len(m[3])))
                if m[0] == ACK:
                    self.acks_seen += 1
                elif m[0] == USER_CONTROL and m[3][:2] == b"\x00\x06":
                    # answer pings, as a live peer does
                    self.send(USER_CONTROL, b"\x00\x07" + m[3][2:6])
                self.queue.append(m)
        return self.queue.pop(0)

    def recv_command(self, names, timeout=10):
        """The next command whose name is in @names, as (name, txid, args,
        msid); other messages are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv_msg(max(0.01, deadline - time.monotonic()))
            if m[0] == COMMAND_AMF0:
                v = amf0_decode_all(m[3])
                if v and v[0] in names:
                    return v[0], v[1], v[2:], m[1]

    def close_rst(self):
        """Closes with a reset (SO_LINGER 0), not a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


# ---- server side ----------------------------------------------------------------


def serve_connect(conn, window=2500000, bandwidth=2500000, chunk_size=4096,
                  connect_result=None):
    """Reads connect and accepts it. Returns the connect command's
    arguments."""
    _, txid, args, _ = conn.recv_command({"connect"})
    conn.control(WINDOW_ACK_SIZE, window)
    conn.control(SET_PEER_BANDWIDTH, bandwidth, b"\x02")
    if chunk_size:
        conn.control(SET_CHUNK_SIZE, chunk_size)
    if connect_result is not None:
        conn.send(COMMAND_AMF0, connect_result)
    else:
        conn.command("_result", txid, {"fmsVer": "FMS/3,5,1,1", "capabilities": 31.0},
                     {"level": "status", "code": "NetConnection.Connect.Success",
                      "description": "Connection succeeded.", "objectEncoding": 0.0})
    return args


def serve_until_started(conn, **kw):
    """Server: handshake done by the caller; answers connect, the publish
    preliminaries, createStream and play or publish. Returns ("play" or
    "publish", stream name, connect args)."""
    cargs = serve_connect(conn, **kw)
    while True:
        name, txid, args, msid = conn.recv_command(
            {"releaseStream", "FCPublish", "createStream", "play", "publish"})
        if name in ("releaseStream", "FCPublish"):
            conn.command("_result", txid, None, UNDEFINED)
        elif name == "createStream":
            conn.command("_result", txid, None, 1.0)
        elif name == "play":
            conn.user_control(0, 1)  # StreamBegin
            conn.status(1, "NetStream.Play.Reset")
            conn.status(1, "NetStream.Play.Start", description="Started playing")
            return "play", args[1] if len(args) > 1 else None, cargs
        else:
            conn.status(1, "NetStream.Publish.Start", description="Publishing")
            return "publish", args[1] if len(args) > 1 else None, cargs


class FakeServer:
    """Listens on 127.0.0.1 (a free port); runs @handler(conn, server) in a
    thread for every connection. Exceptions in handlers are kept in
    .errors (a peer that the element drops raises, and that is often the
    point)."""

    def __init__(self, handler, timeout=20, tls=None):
        """@tls: an ssl.SSLContext to speak RTMPS with."""
        self.handler = handler
        self.tls = tls
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.timeout = timeout
        self.errors = []
        self.conns = []
        self.accepted = 0
        self.done = threading.Event()
        self.closing = False
        self.state = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def url(self, app="live", stream="test", scheme="rtmp"):
        return f"{scheme}://127.0.0.1:{self.port}/{app}/{stream}"

    def _run(self):
        while not self.closing:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.tls:
                try:
                    s.settimeout(self.timeout)
                    s = self.tls.wrap_socket(s, server_side=True)
                except OSError:
                    continue
            c = Conn(s, self.timeout)
            self.conns.append(c)
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _handle(self, c):
        try:
            self.handler(c, self)
        except Exception as e:  # noqa: BLE001 - kept for the test to read
            self.errors.append(e)
        finally:
            self.done.set()

    def close(self):
        self.closing = True
        try:
            # wakes the accept() blocked in the thread: close() alone leaves
            # the port listening until accept() returns
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass


# ---- client side ----------------------------------------------------------------


def client_connect(conn, app, tc_url, extra=()):
    conn.command("connect", 1, {"app": app, "type": "nonprivate", "flashVer": "FMLE/3.0",
                                "tcUrl": tc_url}, *extra)
    name, _, args, _ = conn.recv_command({"_result", "_error"})
    if name != "_result":
        raise ConnectionError(f"connect refused: {args}")


def client_start(conn, stream, publish=True, timeout=10):
    """createStream then publish or play; returns the stream id once the
    server's onStatus says it started (raises on an error status)."""
    conn.command("createStream", 2, None)
    name, _, args, _ = conn.recv_command({"_result", "_error"}, timeout)
    if name != "_result":
        raise ConnectionError(f"createStream refused: {args}")
    sid = int(args[1])
    if publish:
        conn.command("publish", 0, None, stream, "live", msid=sid)
    else:
        conn.command("play", 0, None, stream, -2000.0, msid=sid)
    while True:
        _, _, args, _ = conn.recv_command({"onStatus"}, timeout)
        code = args[1].get("code", "") if len(args) > 1 and isinstance(args[1], dict) else ""
        if code in ("NetStream.Publish.Start", "NetStream.Play.Start"):
            return sid
        if args[1].get("level") == "error":
            raise ConnectionError(f"refused: {code}")


def open_client(port, app="live", stream="cam", publish=True, timeout=10):
    """A plain RTMP client publishing (or playing) @stream; returns the Conn
    and the stream id."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn = Conn(s, timeout)
    client_handshake(s)
    client_connect(conn, app, f"rtmp://127.0.0.1:{port}/{app}")
    return conn, client_start(conn, stream, publish, timeout)


# ---- FLV -------------------------------------------------------------------------


def flv_tags(path):
    """The tags of an FLV file: [(type, timestamp ms, body)]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"FLV":
        raise ValueError(f"{path}: not FLV")
    pos = struct.unpack(">I", data[5:9])[0] + 4
    out = []
    while pos + 11 <= len(data):
        t = data[pos] & 0x1F
        n = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
        body = data[pos + 11:pos + 11 + n]
        if len(body) < n:
            break
        out.append((t, ts, body))
        pos += 11 + n + 4
    return out


def count_flv(path):
    """{'audio': n, 'video': n, 'script': n} of an FLV file (or a partial
    one, as a filesink leaves it)."""
    counts = {"audio": 0, "video": 0, "script": 0}
    try:
        for t, _, _ in flv_tags(path):
            counts[{8: "audio", 9: "video", 18: "script"}.get(t, "script")] += 1
    except (OSError, ValueError):
        pass
    return counts


def send_flv(conn, tags, msid, pace=False, loops=1, ts_offset=0):
    """Sends FLV tags as RTMP messages (metadata as @setDataFrame is the
    publisher's business: sent bare here)."""
    t0 = time.monotonic()
    last = 0
    for loop in range(loops):
        base = ts_offset + loop * (tags[-1][1] + 40)
        for t, ts, body in tags:
            if loop and (t == DATA_AMF0 or (t in (AUDIO, VIDEO) and len(body) > 1 and
                                            body[1] == 0 and (t == VIDEO or body[0] >> 4 == 10))):
                continue  # headers once
            if pace:
                wait = (base + ts) / 1000 - (time.monotonic() - t0)
                if wait > 0:
                    time.sleep(wait)
            conn.send(t, body, msid=msid, ts=base + ts)
            last = base + ts
    return last
