#!/usr/bin/env python3
"""Runs one pipeline and reports, one JSON object a line on stdout, what a
user of the elements would see: every error and warning on the bus with its
domain, code, message and debug text, EOS, element messages, and at the
end how long set_state(NULL) took, which of our threads were left, and the
process's peak RSS.

  gstrun.py [--timeout S] [--count NAME]... [--set NAME.PROP=VALUE]... PIPELINE

Commands on stdin, one a line: "null" (stop now: NULL state, report, exit),
"counts" (print the buffer counts so far), "stats NAME" (print NAME's stats
property).

Exit status: 0 after EOS, 1 after an error, 3 after the timeout, 4 when
stopped by "null". The pipeline is always taken to NULL before exit, and
that is timed. Used by the tests in this directory through harness.py.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

T0 = time.monotonic()
OUT_LOCK = threading.Lock()


def emit(**kw):
    kw.setdefault("t", round(time.monotonic() - T0, 3))
    with OUT_LOCK:
        sys.stdout.write(json.dumps(kw, default=str) + "\n")
        sys.stdout.flush()


def our_threads():
    """Names of this process's threads that belong to the rtmpe elements
    (they name theirs "rtmpe-client", "rtmpe-server", "rtmfp-io")."""
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return sorted(n for n in names if n in ("rtmpe-client", "rtmpe-server", "rtmfp-io")), names


def error_fields(gerror, debug):
    domain = GLib.quark_to_string(gerror.domain) if isinstance(gerror.domain, int) \
        else gerror.domain
    code_name = str(gerror.code)
    for enum, quark in ((Gst.ResourceError, "gst-resource-error-quark"),
                        (Gst.StreamError, "gst-stream-error-quark"),
                        (Gst.CoreError, "gst-core-error-quark"),
                        (Gst.LibraryError, "gst-library-error-quark")):
        if domain == quark:
            try:
                code_name = enum(gerror.code).value_nick.upper().replace("-", "_")
            except ValueError:
                pass
    return {"domain": domain, "code": gerror.code, "code_name": code_name,
            "message": gerror.message, "debug": debug}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--count", action="append", default=[],
                    help="a fakesink whose buffers are counted (signal-handoffs is set)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME.PROP=VALUE",
                    help="set a property after parsing (as an application would: "
                    "gst_parse_launch() logs its whole description at INFO)")
    ap.add_argument("pipeline")
    args = ap.parse_args()

    Gst.init(None)
    pipeline = Gst.parse_launch(args.pipeline)
    for item in args.set:
        target, value = item.split("=", 1)
        name, prop = target.split(".", 1)
        Gst.util_set_object_arg(pipeline.get_by_name(name), prop, value)
    # Buffers are counted by the sinks themselves (GstBaseSink's "stats":
    # "rendered"), not by a Python handoff callback: a callback per buffer,
    # under the GIL, from hundreds of streaming threads, cost more CPU than
    # the elements under test (the load run measured it as theirs).
    count_sinks = {name: pipeline.get_by_name(name) for name in args.count}

    def read_counts():
        return {name: el.get_property("stats").get_uint64("rendered")[1]
                for name, el in count_sinks.items()}

    loop = GLib.MainLoop()
    result = {"status": 3}

    def finish(status):
        if result.get("finished"):
            return
        result["finished"] = True
        result["status"] = status
        loop.quit()

    def on_message(_bus, msg):
        t = msg.type
        src = msg.src.get_name() if msg.src else None
        if t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit(type="error", src=src, **error_fields(err, dbg))
            finish(1)
        elif t == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            emit(type="warning", src=src, **error_fields(err, dbg))
        elif t == Gst.MessageType.EOS:
            emit(type="eos")
            finish(0)
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            emit(type="element", src=src, structure=s.to_string() if s else None)
        elif t == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
            old, new, _ = msg.parse_state_changed()
            emit(type="state", state=new.value_nick)
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def on_stdin(channel, cond):
        line = channel.readline()
        if not line:
            return False
        words = line.split()
        if words and words[0] == "null":
            finish(4)
        elif words and words[0] == "counts":
            emit(type="counts", counts=read_counts())
        elif len(words) == 2 and words[0] == "stats":
            el = pipeline.get_by_name(words[1])
            s = el.get_property("stats") if el else None
            emit(type="stats", name=words[1], structure=s.to_string() if s else None)
        return True

    ch = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(ch, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP,
                      on_stdin)
    GLib.timeout_add(int(args.timeout * 1000), lambda: finish(3) or False)

    threads_before = len(our_threads()[1])
    ret = pipeline.set_state(Gst.State.PLAYING)
    emit(type="set-playing", result=ret.value_nick)
    if ret == Gst.StateChangeReturn.FAILURE:
        # the error is on the bus
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + 2
        while not result.get("finished") and time.monotonic() < deadline:
            ctx.iteration(False)
            time.sleep(0.01)
        result["status"] = 1
    else:
        loop.run()
    if result["status"] == 3:
        emit(type="timeout")

    counts = read_counts()      # the sinks forget them on the way to NULL
    t = time.monotonic()
    pipeline.set_state(Gst.State.NULL)
    null_s = time.monotonic() - t
    bus.remove_signal_watch()
    left, names = our_threads()
    if left:
        # a thread that is on its way out still shows for a moment
        deadline = time.monotonic() + 0.5
        while left and time.monotonic() < deadline:
            time.sleep(0.01)
            left, names = our_threads()
    emit(type="end", status=result["status"], null_seconds=round(null_s, 3),
         rtmpe_threads=left, threads_before=threads_before, threads_after=names,
         counts=counts, rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
         fds=len(os.listdir("/proc/self/fd")))
    del pipeline
    sys.exit(result["status"])


if __name__ == "__main__":
    main()
