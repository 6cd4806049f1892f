#!/usr/bin/env python3
"""Secrets and safe defaults: stream keys, tokens, passwords and connect
arguments stay out of the logs below TRACE and out of every bus message;
a listener binds only the address it is given; the element descriptions
present RTMPE as obfuscation. (TLS verification on by default is
tests/interop/test_client.py rtmps-unverified; listen-mode refusals are
test_listen.py refusals.)

Usage: test_defaults.py CASE   (see CASES at the bottom)
"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtmpfake as rf  # noqa: E402
from harness import MEDIA, Peers, Run, log, main, report, wait_until  # noqa: E402,F401
import gst  # noqa: E402  (tests/interop, on the path harness set)
from peers import free_port, wait_port  # noqa: E402

TAGS = rf.flv_tags(MEDIA)
SECRETS = {
    "password": "Pw-9f3Kq",
    "stream key": "sk-7Hd2Lm",
    "token": "tok-Q8v4Xz",
    "connect argument": "arg-M5n1Rt",
    "named connect argument": "nm-W2c6Yp",
    "password property": "pp-B7j3Ns",
}


def server(seen, refuse=False):
    """Plays or takes a stream, or refuses it; records what the element
    sent, so the test knows the secrets did reach the server."""
    def handler(conn, srv):
        rf.server_handshake(conn.sock)
        cargs = rf.serve_connect(conn)
        seen["connect"] = repr(cargs)
        while True:
            name, txid, args, msid = conn.recv_command(
                {"releaseStream", "FCPublish", "createStream", "play", "publish"})
            if name in ("releaseStream", "FCPublish"):
                conn.command("_result", txid, None, rf.UNDEFINED)
            elif name == "createStream":
                conn.command("_result", txid, None, 1.0)
            else:
                break
        seen["stream"] = args[1]
        if refuse:
            conn.status(1, "NetStream.Play.StreamNotFound" if name == "play" else
                        "NetStream.Publish.BadName", level="error",
                        description=f"no such stream: {args[1]}")
            conn.recv_msg(5)
            return
        if name == "play":
            conn.user_control(0, 1)
            conn.status(1, "NetStream.Play.Start", description=f"playing {args[1]}")
            rf.send_flv(conn, TAGS, 1)
            conn.user_control(1, 1)
            conn.status(1, "NetStream.Play.Stop", description=f"stopped {args[1]}")
        else:
            conn.status(1, "NetStream.Publish.Start", description=f"publishing {args[1]}")
        try:
            while conn.recv_msg(5):
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass
    return handler


def case_secrets():
    """A client whose location carries user:password@, a stream key and a
    ?token=, plus extra-connect-args, run with GST_DEBUG=*:4 and then *:6
    (everything below TRACE): the server receives every secret, and none
    of them appears in the log or in any bus message (errors included: the
    server quotes the stream name back in its onStatus descriptions, and
    refuses it once). The password property is checked the same way. The
    properties are set with g_object_set(), as an application sets them:
    GStreamer's own gst_parse_launch() logs a whole gst-launch description
    at INFO, secrets included, which no element can prevent."""
    s = SECRETS
    extra = f'S:{s["connect argument"]} O:1 NS:auth:{s["named connect argument"]} O:0'
    checked = 0
    for level in ("*:4", "*:6"):
        for kind in ("src", "sink"):
            for refuse in (False, True):
                seen = {}
                with Peers(f"secrets-{kind}") as peers:
                    srv = rf.FakeServer(server(seen, refuse))
                    loc = (f"rtmp://alice:{s['password']}@127.0.0.1:{srv.port}/live/"
                           f"{s['stream key']}?token={s['token']}")
                    if kind == "src":
                        pipe = "rtmpesrc name=e ! fakesink"
                    else:
                        pipe = f"filesrc location={MEDIA} ! rtmpesink name=e"
                    # set as an application sets them: gst_parse_launch()
                    # logs the whole description at INFO (GST_PIPELINE)
                    run = Run(peers, pipe, kind, 20, extra_env={"GST_DEBUG": level},
                              props=[f"e.location={loc}", f"e.extra-connect-args={extra}"])
                    run.wait(30)
                    srv.close()
                    text = run.log_text()
                    events = repr(run.events)
                assert s["stream key"] in seen.get("stream", "") and \
                    s["token"] in seen["stream"], seen
                for what in ("password", "connect argument", "named connect argument"):
                    assert s[what] in seen["connect"], (what, seen)
                assert (run.first("error") is not None) == refuse, run.events[-4:]
                for what in ("password", "stream key", "token", "connect argument",
                             "named connect argument"):
                    assert s[what] not in text, f"{what} in the {level} log of {kind}"
                    assert s[what] not in events, f"{what} in a bus message of {kind}"
                checked += 1
                log(f"  {kind}, GST_DEBUG={level}, {'refused' if refuse else 'played'}: "
                    f"{len(text)} bytes of log, {len(run.events)} bus events, no secret")

    # the password property (and user info from properties)
    seen = {}
    with Peers("secrets-props") as peers:
        srv = rf.FakeServer(server(seen))
        run = Run(peers, "rtmpesrc name=e ! fakesink", "props", 20,
                  extra_env={"GST_DEBUG": "*:6"},
                  props=[f"e.location=rtmp://127.0.0.1:{srv.port}/live/x", "e.username=bob",
                         f"e.password={s['password property']}"])
        run.wait(30)
        srv.close()
        text = run.log_text()
    assert s["password property"] in seen["connect"], seen
    assert s["password property"] not in text and s["password property"] not in repr(run.events)
    report("secrets in location, query, user info, connect arguments, password property",
           f"{checked + 1} runs at GST_DEBUG=*:4 and *:6 (played and refused): every secret "
           "reached the server, none in the log or on the bus")


def listening_on(port):
    """The local addresses of the listening sockets on @port, from
    /proc/net/tcp and tcp6."""
    out = []
    for name in ("tcp", "tcp6"):
        with open(f"/proc/net/{name}") as f:
            next(f)
            for line in f:
                parts = line.split()
                addr, p = parts[1].rsplit(":", 1)
                if int(p, 16) == port and parts[3] == "0A":
                    out.append((name, addr))
    return out


def can_connect(host, port, family=socket.AF_INET):
    s = socket.socket(family)
    s.settimeout(2)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def case_bind():
    """A listener binds exactly the address in its location: on 127.0.0.1
    it is not reachable on 127.0.0.2 (another loopback address) nor on
    [::1]; on [::1] not on 127.0.0.1; 0.0.0.0 binds every IPv4 address."""
    with Peers("bind") as peers:
        rows = []
        for host, expect, reach, unreach in (
                ("127.0.0.1", [("tcp", "0100007F")], [("127.0.0.1", socket.AF_INET)],
                 [("127.0.0.2", socket.AF_INET), ("::1", socket.AF_INET6)]),
                ("[::1]", [("tcp6", "00000000000000000000000001000000")],
                 [("::1", socket.AF_INET6)], [("127.0.0.1", socket.AF_INET)]),
                ("0.0.0.0", [("tcp", "00000000")],
                 [("127.0.0.1", socket.AF_INET), ("127.0.0.2", socket.AF_INET)], [])):
            port = free_port()
            run = Run(peers, f"rtmpesrc mode=listen location=rtmp://{host}:{port}/live/x ! "
                      "fakesink", f"listen-{host.strip('[]')}", 20)
            wait_until(lambda: listening_on(port), 10, f"listener on {host}")
            got = listening_on(port)
            assert got == expect, (host, got)
            for h, fam in reach:
                assert can_connect(h, port, fam), f"{host}: not reachable on {h}"
            for h, fam in unreach:
                assert not can_connect(h, port, fam), f"{host}: reachable on {h}"
            run.null()
            run.wait(10)
            rows.append(f"{host} -> {got[0][0]} {got[0][1]}")
        report("listen binds where told", "; ".join(rows) +
               "; not reachable on any other address")


def case_descriptions():
    """gst-inspect-1.0 presents RTMPE as obfuscation: the element
    descriptions and the rtmpe-type and encryption properties say so, and
    no line calls RTMPE secure."""
    for el in ("rtmpesrc", "rtmpesink"):
        text = subprocess.run(["gst-inspect-1.0", el], capture_output=True, text=True,
                              check=True, env=gst.env()).stdout
        desc = [ln for ln in text.splitlines() if ln.strip().startswith("Description")][0]
        assert "obfuscated, not secure" in desc, desc
        blurb = text.split("rtmpe-type", 1)[1].split("\n  ", 1)[0]
        assert "obfuscation, not security" in blurb, blurb
        enc = text.split("encryption  ", 1)[1].split("\n  ", 1)[0]
        assert "authenticates nobody" in enc, enc
        for ln in text.splitlines():
            if "RTMPE" in ln and "secur" in ln.lower():
                assert "not secur" in ln.lower(), ln
    report("element descriptions", "RTMPE presented as obfuscation in both elements' "
           "descriptions and in the rtmpe-type and encryption properties")


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES, sys.argv)
