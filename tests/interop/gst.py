"""Running GStreamer pipelines for the interop tests.

Our elements come from the build tree (GST_PLUGIN_PATH_1_0 set by meson);
every other element from the system. In a sanitizer build meson sets
RTMPE_SANITIZER_PRELOAD, which gst-launch needs first in LD_PRELOAD to load
an instrumented plugin.
"""

import os
import shlex

from peers import log, need


def env(extra=None):
    e = dict(os.environ)
    pre = e.get("RTMPE_SANITIZER_PRELOAD")
    if pre:
        e["LD_PRELOAD"] = pre + (" " + e["LD_PRELOAD"] if e.get("LD_PRELOAD") else "")
        # gst-launch itself leaks a little at exit; our leaks are caught by
        # the in-process element tests
        e.setdefault("ASAN_OPTIONS", "")
        e["ASAN_OPTIONS"] += ":detect_leaks=0"
    e.setdefault("GST_DEBUG", "rtmpe*:3,rtmpesrc:3,rtmpesink:3")
    if extra:
        e.update(extra)
    return e


def launch(peers, pipeline, name, extra_env=None):
    """Starts gst-launch-1.0 -e with @pipeline (a string). Returns the
    process; its output is in peers.path(name + '.log')."""
    need("gst-launch-1.0")
    args = ["gst-launch-1.0", "-e"] + shlex.split(pipeline)
    return peers.start(args, name, env=env(extra_env))


def run(peers, pipeline, name, timeout, extra_env=None, expect_ok=True):
    """Runs a pipeline to its end; asserts it ended as expected. Returns
    (returncode, log text)."""
    p = launch(peers, pipeline, name, extra_env)
    rc = peers.wait(p, timeout, name)
    with open(p.logpath, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    if expect_ok and (rc != 0 or "ERROR" in text.split("Setting pipeline to NULL")[0]
                      and "Execution ended" not in text):
        raise AssertionError(f"{name} failed (rc {rc}):\n{text[-4000:]}")
    if expect_ok and rc != 0:
        raise AssertionError(f"{name} exited with {rc}:\n{text[-4000:]}")
    log(f"{name}: rc {rc}")
    return rc, text


def error_of(text):
    """The first ERROR line gst-launch printed, or None."""
    for line in text.splitlines():
        if line.startswith("ERROR:") or "ERROR: from element" in line:
            return line
    return None
