#!/usr/bin/env python3
"""Faults: the network and the server failing under rtmpesrc and rtmpesink,
and the pipeline stopped at every stage. Each case asserts what the user
sees: the error on the bus (domain, code, message, and the debug text
naming the problem), a clean EOS, or a stream that goes on; and that
set_state(NULL) returns within 1 s leaving none of our threads.

What tests/interop/test_client.py already covers is not repeated here: a
server killed mid-stream and restarted (reconnect, src and sink), and one
killed for good without auto-reconnect (server-dies).

Usage: test_faults.py CASE   (see CASES at the bottom)
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtmpfake as rf  # noqa: E402
from harness import (MEDIA, Peers, Run, expect_clean_stop, expect_error,  # noqa: E402
                     log, main, report, skip, wait_until)
from peers import Nginx, Stunnel, free_port, wait_port  # noqa: E402

TAGS = rf.flv_tags(MEDIA)
LIVE = ("videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=200 ! "
        "h264parse ! flvmux streamable=true ! ")


def src(url, extra=""):
    return f"rtmpesrc name=src location={url} {extra} ! fakesink name=out sync=false"


def sink(url, extra=""):
    return f"filesrc location={MEDIA} ! rtmpesink name=sink location={url} {extra}"


def live_sink(url, extra=""):
    return LIVE + f"rtmpesink name=sink location={url} {extra}"


def quiet(conn, seconds, answer_pings=True):
    """Reads (and answers pings) for @seconds; returns the time of the last
    byte sent to the element."""
    t_end = time.monotonic() + seconds
    last_sent = time.monotonic()
    while time.monotonic() < t_end:
        try:
            m = conn.recv_msg(max(0.05, t_end - time.monotonic())) if answer_pings else None
            if m and m[0] == rf.USER_CONTROL and m[3][:2] == b"\x00\x06":
                last_sent = time.monotonic()   # recv_msg answered it
        except TimeoutError:
            pass
        if not answer_pings:
            time.sleep(0.05)
    return last_sent


def silent(conn, seconds):
    """Keeps the connection open, reading nothing and sending nothing."""
    time.sleep(seconds)


# ---- the server stalls ----------------------------------------------------------

def case_server_stalls():
    """A server that completes the handshake and the play (or publish),
    answers our pings for 5 s while sending nothing else (a quiet but live
    server: idle-timeout=3 must not fire), then stops answering without
    closing. The element errors within idle-timeout of the last byte."""
    for kind in ("src", "sink"):
        marks = {}

        def handler(conn, srv, kind=kind):
            rf.server_handshake(conn.sock)
            rf.serve_until_started(conn)
            if kind == "src":
                rf.send_flv(conn, TAGS[:10], 1)
            marks["last"] = quiet(conn, 5)
            marks["stalled"] = time.monotonic()
            silent(conn, 15)

        with Peers(f"stall-{kind}") as peers:
            srv = rf.FakeServer(handler)
            extra = "idle-timeout=3 timeout=5"
            pipe = src(srv.url(), extra) if kind == "src" else live_sink(srv.url(), extra)
            run = Run(peers, pipe, kind, 30)
            run.wait(40)
            t_err = run.t0 + run.first("error")["t"] if run.first("error") else None
            srv.close()
        err = expect_error(run, "resource", "OPEN_READ" if kind == "src" else "OPEN_WRITE",
                           "did not answer in time", "nothing received")
        assert "stalled" in marks, "the element gave up while the server still answered pings"
        after = t_err - marks["last"]
        assert 2.0 <= after <= 3 + 1.5, f"error {after:.1f} s after the last byte"
        expect_clean_stop(run)
        report(f"server stalls ({kind}, idle-timeout=3)",
               f"alive 5 s on pings alone; error {after:.1f} s after the last byte: "
               f"RESOURCE {err['code_name']} '{err['message']}'", run)


def case_server_stalls_handshake():
    """A server that accepts the TCP connection and trickles its handshake a
    byte every 0.3 s: the timeout (2 s) ends it."""
    def handler(conn, srv):
        rf.recv_exact(conn.sock, 1537)
        for _ in range(40):
            conn.sock.send(b"\x03")
            time.sleep(0.3)

    with Peers("stall-handshake") as peers:
        srv = rf.FakeServer(handler)
        run = Run(peers, src(srv.url(), "timeout=2"), "src", 20)
        run.wait(30)
        srv.close()
    err = expect_error(run, "resource", "OPEN_READ", "did not answer in time", "RTMP handshake",
                       within=3.5)
    expect_clean_stop(run)
    report("server trickles its handshake (timeout=2)",
           f"error after {err['t']:.1f} s: '{err['message']}'", run)


# ---- resets -----------------------------------------------------------------------

def rst_server(stage, resets):
    """A server that resets (SO_LINGER 0) the first @resets connections at
    @stage ("handshake": after C0+C1; "connect": after the connect
    command), and serves the rest properly."""
    def handler(conn, srv):
        n = srv.state.setdefault("n", 0) + 1
        srv.state["n"] = n
        if n <= resets:
            if stage == "handshake":
                rf.recv_exact(conn.sock, 1537)
            else:
                rf.server_handshake(conn.sock)
                conn.recv_command({"connect"})
            conn.close_rst()
            return
        rf.server_handshake(conn.sock)
        what, _, _ = rf.serve_until_started(conn)
        if what == "play":
            rf.send_flv(conn, TAGS, 1)
            conn.user_control(1, 1)
            conn.status(1, "NetStream.Play.Stop")
        try:
            while conn.recv_msg(5):
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass
    return handler


def case_reset():
    """The server resets the connection during the handshake, and during
    connect: without auto-reconnect a clear error at once (src and sink);
    with it, the element tries again and the stream plays to the end."""
    for stage in ("handshake", "connect"):
        for kind in ("src", "sink"):
            with Peers(f"rst-{stage}-{kind}") as peers:
                srv = rf.FakeServer(rst_server(stage, 100))
                pipe = src(srv.url()) if kind == "src" else sink(srv.url())
                run = Run(peers, pipe, kind, 20)
                run.wait(30)
                srv.close()
            err = expect_error(run, "resource", "READ" if kind == "src" else "WRITE",
                               "connection to the server was lost", within=2)
            expect_clean_stop(run)
            report(f"reset during {stage} ({kind})",
                   f"error RESOURCE {err['code_name']} '{err['message']}' "
                   f"({err['debug'].splitlines()[-1]}) after {err['t']:.2f} s", run)

        with Peers(f"rst-{stage}-recover") as peers:
            srv = rf.FakeServer(rst_server(stage, 2))
            run = Run(peers, src(srv.url(), "auto-reconnect=true reconnect-delay=100"), "src",
                      20, count=["out"])
            rc = run.wait(30)
            srv.close()
        assert rc == 0 and run.first("eos") and not run.first("error"), run.events[-5:]
        warnings = [w for w in run.all("warning") if "reconnecting" in w["message"]]
        assert len(warnings) == 2, run.all("warning")
        assert run.end["counts"]["out"] > len(TAGS), run.end
        expect_clean_stop(run)
        report(f"reset during {stage} twice, auto-reconnect", f"2 warnings, then "
               f"{run.end['counts']['out']} buffers and EOS", run)


# ---- names, certificates ------------------------------------------------------------

def case_dns():
    """A host name that cannot resolve: RESOURCE NOT_FOUND saying so, at
    once, with or without auto-reconnect (a name that does not exist is
    not worth retrying)."""
    url = "rtmp://nonexistent.invalid/live/x"
    for kind, extra in (("src", ""), ("sink", ""), ("src", "auto-reconnect=true")):
        with Peers(f"dns-{kind}") as peers:
            run = Run(peers, src(url, extra) if kind == "src" else sink(url, extra), kind, 20)
            run.wait(30)
        err = expect_error(run, "resource", "NOT_FOUND", "Could not resolve the server's host name",
                           "nonexistent.invalid", within=5)
        expect_clean_stop(run)
        report(f"DNS failure ({kind}{', ' + extra if extra else ''})",
               f"RESOURCE NOT_FOUND '{err['message']}' ({err['debug'].splitlines()[-1]})", run)


def make_ca(peers):
    """A test CA, and certificates it signed: expired, for the wrong host,
    and good (all for an RTMPS server at 127.0.0.1 unless the name is
    wrong)."""
    d = peers.path("ca")
    os.makedirs(d)

    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", "ca.key", "-out", "ca.crt", "-days", "3", "-subj", "/CN=rtmpe test CA")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(f"""[ca]
default_ca = test
[test]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}
certificate = {d}/ca.crt
private_key = {d}/ca.key
serial = {d}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
""")
    out = {}
    for name, cn, san, dates in (
            ("expired", "localhost", "DNS:localhost,IP:127.0.0.1",
             ["-startdate", "200101000000Z", "-enddate", "200102000000Z"]),
            ("wronghost", "wrong.example", "DNS:wrong.example", ["-days", "2"]),
            ("good", "localhost", "DNS:localhost,IP:127.0.0.1", ["-days", "2"])):
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
             "-addext", f"subjectAltName={san}")
        ossl("ca", "-batch", "-config", "ca.cnf", "-in", f"{name}.csr", "-out", f"{name}.crt",
             *dates)
        out[name] = (os.path.join(d, f"{name}.crt"), os.path.join(d, f"{name}.key"))
    return os.path.join(d, "ca.crt"), out


def case_tls_certificates():
    """RTMPS through stunnel in front of nginx-rtmp, with tls-ca-file set to
    our test CA: an expired certificate and one for another host are
    refused (RESOURCE NOT_AUTHORIZED, the debug text naming the problem);
    a good one from the same CA works (so the refusals are about the
    certificates, not the set-up)."""
    with Peers("tls-certs") as peers:
        nginx = Nginx(peers, record=False)
        ca, certs = make_ca(peers)
        for name, why in (("expired", "certificate has expired"),
                          ("wronghost", "mismatch"), ("good", None)):
            tls = Stunnel(peers, nginx.port, cert=certs[name])
            url = f"rtmps://127.0.0.1:{tls.port}/live/{name}"
            if why:
                for kind in ("src", "sink"):
                    extra = f"tls-ca-file={ca} timeout=5"
                    run = Run(peers, src(url, extra) if kind == "src" else sink(url, extra),
                              f"{name}-{kind}", 20)
                    run.wait(30)
                    err = expect_error(run, "resource", "NOT_AUTHORIZED",
                                       "TLS certificate was not accepted", why, within=5)
                    expect_clean_stop(run)
                    report(f"TLS {name} certificate ({kind})",
                           f"RESOURCE NOT_AUTHORIZED '{err['message']}' "
                           f"({err['debug'].splitlines()[-1]})", run)
            else:
                run = Run(peers, sink(url, f"tls-ca-file={ca}"), "good-sink", 20)
                assert run.wait(30) == 0 and run.first("eos"), run.events[-5:]
                report("TLS good certificate from the same CA", "published to EOS", run)


def case_tls_server_drops():
    """An RTMPS server whose first connection ends mid-stream with a TCP
    close and no TLS close_notify (the server process dies, a proxy cuts
    it): with auto-reconnect the src reconnects and plays on to EOS; without
    it, the error says the connection was lost (not a TLS failure)."""
    import ssl
    with Peers("tls-drops") as peers:
        from peers import make_cert
        cert, key = make_cert(peers, "fake")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        def handler(conn, srv):
            n = srv.state["n"] = srv.state.get("n", 0) + 1
            rf.server_handshake(conn.sock)
            rf.serve_until_started(conn)
            rf.send_flv(conn, TAGS[:20], 1)
            if n == 1:
                # the TCP connection goes, with no close_notify
                raw = socket.socket(fileno=conn.sock.detach())
                raw.close()
                return
            rf.send_flv(conn, TAGS, 1, ts_offset=2000)
            conn.user_control(1, 1)
            conn.status(1, "NetStream.Play.Stop")
            try:
                while conn.recv_msg(5):
                    pass
            except (ConnectionError, TimeoutError, OSError):
                pass

        for reconnect in (True, False):
            srv = rf.FakeServer(handler, tls=ctx)
            extra = f"tls-ca-file={cert} " + \
                ("auto-reconnect=true reconnect-delay=100" if reconnect else "")
            run = Run(peers, src(srv.url(scheme="rtmps"), extra), f"src-{reconnect}", 20,
                      count=["out"])
            run.wait(30)
            srv.close()
            if reconnect:
                assert run.first("eos") and not run.first("error"), run.events[-5:]
                w = [w for w in run.all("warning") if "reconnecting" in w["message"]]
                assert len(w) == 1, run.all("warning")
                report("RTMPS connection cut without close_notify, auto-reconnect",
                       f"1 warning ({w[0]['debug'].splitlines()[-1]}), then "
                       f"{run.end['counts']['out']} buffers and EOS", run)
            else:
                err = expect_error(run, "resource", "READ", "connection to the server was lost")
                report("RTMPS connection cut without close_notify",
                       f"RESOURCE READ '{err['message']}' ({err['debug'].splitlines()[-1]})",
                       run)
            expect_clean_stop(run)


# ---- the network drops ---------------------------------------------------------------

def in_netns(case):
    """Runs @case inside a network namespace of its own (loopback up), so
    that its iptables rules touch nothing else. Root only."""
    if os.environ.get("RTMPE_TEST_NETNS"):
        return False
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("iptables"):
        skip("needs root, ip and iptables for a network namespace")
    ns = f"rtmpe-rel-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        skip("cannot create a network namespace")
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                             os.path.abspath(__file__), case],
                            env=dict(os.environ, RTMPE_TEST_NETNS=ns)).returncode
    finally:
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
    sys.exit(rc)


def iptables(action, port):
    for direction in ("--dport", "--sport"):
        subprocess.run(["iptables", action, "INPUT", "-p", "tcp", direction, str(port),
                        "-j", "DROP"], check=True)


def case_network_drop():
    """nginx-rtmp, a publisher (rtmpesink) and two players (rtmpesrc) in a
    network namespace; every packet to or from nginx's port is dropped for
    3 s (iptables), then the network comes back. Player A (default
    idle-timeout 30 s) rides it out on TCP's retransmissions; player B
    (idle-timeout=2, auto-reconnect) gives the connection up, reconnects
    once the network is back, and plays on. Neither posts an error; both
    get frames from after the outage."""
    if in_netns("network-drop") is not False:
        return
    with Peers("network-drop") as peers:
        nginx = Nginx(peers, record=False)
        url = nginx.url("drop")
        a = Run(peers, src(url, "timeout=10"), "player-a", 60, count=["out"])
        b = Run(peers, src(url, "timeout=10 idle-timeout=2 auto-reconnect=true "
                           "reconnect-delay=200"), "player-b", 60, count=["out"])
        wait_until(lambda: b"play: name='drop'" in open(
            os.path.join(nginx.prefix, "error.log"), "rb").read(), 10, "players")
        pub = Run(peers, live_sink(url, "auto-reconnect=true reconnect-delay=200"), "publisher",
                  60)
        wait_until(lambda: a.counts() > 50 and b.counts() > 50, 15, "both players playing")
        before = (a.counts(), b.counts())
        iptables("-I", nginx.port)
        t_drop = time.monotonic()
        time.sleep(3)
        iptables("-D", nginx.port)
        log(f"network dropped for {time.monotonic() - t_drop:.1f} s after {before} buffers")
        wait_until(lambda: a.counts() > before[0] + 75 and b.counts() > before[1] + 75, 15,
                   "both players playing again")
        resumed = time.monotonic() - t_drop
        after = (a.counts(), b.counts())
        for r in (a, b, pub):
            r.null()
            r.wait(10)
            assert not r.first("error"), (r.name, r.first("error"))
            expect_clean_stop(r)
        b_warn = [w for w in b.all("warning") if "reconnecting" in w["message"]]
        assert b_warn, "player B did not reconnect"
        report("network drops 3 s (iptables, netns)",
               f"both players resumed {resumed:.1f} s after the drop began; A kept its "
               f"connection, B reconnected ({len(b_warn)} warning); buffers before/after "
               f"A {before[0]}/{after[0]}, B {before[1]}/{after[1]}; no error", b)


# ---- the pipeline stops ----------------------------------------------------------------

def blackhole():
    """A loopback port that drops SYNs: a listener with a backlog of 0,
    already holding one connection it never accepts."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    return lst, filler, port


def case_null_state():
    """set_state(NULL) while connecting (to a port that drops SYNs), while
    handshaking (a server that never answers), and while streaming, for
    rtmpesrc and rtmpesink, client mode, and listen mode while a peer is
    handshaking: each returns within 1 s and leaves no rtmpe thread."""
    lst, filler, bh_port = blackhole()
    stalled = {}

    def never_answers(conn, srv):
        srv.state["connected"] = True
        time.sleep(20)

    def streams(conn, srv):
        rf.server_handshake(conn.sock)
        what, _, _ = rf.serve_until_started(conn)
        srv.state["started"] = True
        if what == "play":
            rf.send_flv(conn, TAGS, 1, loops=20, pace=True)
        else:
            while conn.recv_msg(20):
                srv.state["media"] = srv.state.get("media", 0) + 1

    results = []
    with Peers("null-state") as peers:
        for kind in ("src", "sink"):
            make = (lambda u: src(u, "timeout=30")) if kind == "src" else \
                (lambda u: live_sink(u, "timeout=30"))
            # connecting
            run = Run(peers, make(f"rtmp://127.0.0.1:{bh_port}/live/x"), f"{kind}-connecting", 20)
            run.wait_event(lambda e: e.get("type") == "set-playing", 10)
            time.sleep(0.5)
            run.null()
            run.wait(10)
            results.append((f"{kind} connecting", run))
            # handshaking
            srv = rf.FakeServer(never_answers)
            run = Run(peers, make(srv.url()), f"{kind}-handshaking", 20)
            wait_until(lambda: srv.state.get("connected"), 10, "connection")
            time.sleep(0.3)
            run.null()
            run.wait(10)
            srv.close()
            results.append((f"{kind} handshaking", run))
            # streaming
            srv = rf.FakeServer(streams)
            run = Run(peers, make(srv.url()).replace("fakesink name=out", "fakesink name=out"),
                      f"{kind}-streaming", 30, count=["out"] if kind == "src" else [])
            if kind == "src":
                wait_until(lambda: run.counts() > 20, 15, "media flowing")
            else:
                wait_until(lambda: srv.state.get("media", 0) > 20, 15, "media flowing")
            run.null()
            run.wait(10)
            srv.close()
            results.append((f"{kind} streaming", run))
        # listen mode, a peer in its handshake
        for kind in ("src", "sink"):
            port = free_port()
            loc = f"rtmp://127.0.0.1:{port}/live/x"
            pipe = f"rtmpesrc mode=listen location={loc} ! fakesink" if kind == "src" else \
                LIVE + f"rtmpesink mode=listen location={loc}"
            run = Run(peers, pipe, f"listen-{kind}", 20)
            wait_port(port, 10)
            s = socket.create_connection(("127.0.0.1", port))
            s.send(b"\x03")
            time.sleep(0.3)
            run.null()
            run.wait(10)
            s.close()
            results.append((f"listen {kind}, a peer handshaking", run))
        # listen mode, streaming: a publisher into rtmpesrc, a player from
        # rtmpesink
        for kind in ("src", "sink"):
            port = free_port()
            loc = f"rtmp://127.0.0.1:{port}/live/x"
            pipe = f"rtmpesrc mode=listen location={loc} ! fakesink name=out" if kind == "src" \
                else LIVE + f"rtmpesink mode=listen location={loc}"
            run = Run(peers, pipe, f"listen-{kind}-streaming", 20,
                      count=["out"] if kind == "src" else [])
            wait_port(port, 10)
            peer = {}

            def client(kind=kind, port=port, peer=peer):
                try:
                    c, sid = rf.open_client(port, stream="x", publish=kind == "src")
                    peer["started"] = True
                    if kind == "src":
                        rf.send_flv(c, TAGS, sid, pace=True, loops=20)
                    else:
                        while True:
                            if c.recv_msg(10)[0] == rf.VIDEO:
                                peer["video"] = peer.get("video", 0) + 1
                except Exception as e:  # noqa: BLE001 - the listener went away
                    peer["ended"] = repr(e)
            threading.Thread(target=client, daemon=True).start()
            if kind == "src":
                wait_until(lambda: run.counts() > 20, 15, "media flowing")
            else:
                wait_until(lambda: peer.get("video", 0) > 20, 15, "media flowing")
            run.null()
            run.wait(10)
            results.append((f"listen {kind}, streaming", run))
    lst.close()
    filler.close()
    for what, run in results:
        assert not run.first("error"), (what, run.first("error"))
        end = expect_clean_stop(run, 1.0)
        report(f"NULL while {what}", f"returned in {end['null_seconds'] * 1000:.0f} ms, "
               f"threads left {end['rtmpe_threads']}", run)


# ---- reconnection that gives up -------------------------------------------------------

def case_reconnect_gives_up():
    """auto-reconnect with max-reconnects=2 when the server is gone for
    good (it dies mid-stream and its port stays closed): src and sink warn
    when the connection is lost (attempt 1 is coming) and when attempt 1
    fails (attempt 2), then post the error when attempt 2 fails."""
    for kind in ("src", "sink"):
        def handler(conn, srv, kind=kind):
            rf.server_handshake(conn.sock)
            what, _, _ = rf.serve_until_started(conn)
            srv.state["started"] = True
            if what == "play":
                rf.send_flv(conn, TAGS[:20], 1)
            time.sleep(0.5)
            srv.close()     # the server dies: listener and connection gone
        with Peers(f"gives-up-{kind}") as peers:
            srv = rf.FakeServer(handler)
            extra = "auto-reconnect=true reconnect-delay=200 max-reconnects=2"
            run = Run(peers, src(srv.url(), extra) if kind == "src" else
                      live_sink(srv.url(), extra), kind, 30)
            run.wait(40)
        err = expect_error(run, "resource", "OPEN_READ" if kind == "src" else "OPEN_WRITE",
                           "connection refused", "could not connect")
        warnings = [w for w in run.all("warning") if "reconnecting" in w["message"]]
        for w in warnings:
            log("  warning:", w["debug"].splitlines()[-1])
        assert len(warnings) == 2, [w["debug"] for w in run.all("warning")]
        expect_clean_stop(run)
        report(f"server gone for good, max-reconnects=2 ({kind})",
               f"{len(warnings)} reconnect warnings (the loss, a failed attempt), "
               f"then RESOURCE {err['code_name']} '{err['message']}'", run)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES, sys.argv)
