#!/usr/bin/python3
"""`meson install` puts the plugins into LIBDIR/gstreamer-1.0, and what it
installs works: installs the build (no rebuild) with --destdir into a
temporary directory, checks where every file went, runs gst-inspect-1.0 on
the installed plugins alone (no system plugins, a registry of its own), and
plays an RTMPE stream through the installed rtmpesink and rtmpesrc."""

import glob
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))

from peers import Peers, check_media, free_port, log, skip, wait_port  # noqa: E402
from test_client import gen_pipeline  # noqa: E402

build = os.environ.get("RTMPE_BUILD_ROOT")
if not build:
    skip("RTMPE_BUILD_ROOT is not set (meson test sets it)")

opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
    ["meson", "introspect", "--buildoptions", build], check=True, capture_output=True,
    text=True).stdout)}
plugin_dir = os.path.join(opts["prefix"], opts["libdir"], "gstreamer-1.0")
installed = json.loads(subprocess.run(["meson", "introspect", "--installed", build],
                                      check=True, capture_output=True, text=True).stdout)
log("meson installs:", json.dumps(installed, indent=1))
plugins = {os.path.basename(k): v for k, v in installed.items() if k.endswith(".so")}
assert "libgstrtmpe.so" in plugins, installed
for name, dest in plugins.items():
    assert os.path.dirname(dest) == plugin_dir, f"{name} goes to {dest}, not {plugin_dir}"
assert all(v.endswith(".so") for v in installed.values()), \
    f"meson installs more than the plugins: {installed}"

with tempfile.TemporaryDirectory(prefix="rtmpe-install-") as destdir:
    r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", destdir],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    got = sorted(os.path.relpath(p, destdir) for p in glob.glob(f"{destdir}/**/*",
                                                                 recursive=True)
                 if os.path.isfile(p))
    log("installed:", got)
    dest_plugins = destdir + plugin_dir
    assert os.path.isfile(os.path.join(dest_plugins, "libgstrtmpe.so")), got

    env = {k: v for k, v in os.environ.items()
           if k not in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_REGISTRY_1_0")}
    env.update(GST_PLUGIN_PATH_1_0=dest_plugins, GST_PLUGIN_SYSTEM_PATH_1_0="",
               GST_REGISTRY_1_0=os.path.join(destdir, "registry.bin"))
    for element in ("rtmpesrc", "rtmpesink", "rtmpeurisrc", "rtmpeurisink"):
        r = subprocess.run(["gst-inspect-1.0", element], env=env, capture_output=True,
                           text=True)
        assert r.returncode == 0, f"gst-inspect-1.0 {element}:\n{r.stdout}{r.stderr}"
        assert os.path.join(dest_plugins, "libgstrtmpe.so") in r.stdout, r.stdout
    r = subprocess.run(["gst-inspect-1.0", "rtmpe"], env=env, capture_output=True, text=True)
    assert "4 elements" in r.stdout, r.stdout
    if os.path.isfile(os.path.join(dest_plugins, "libgstrtmfp.so")):
        r = subprocess.run(["gst-inspect-1.0", "rtmfpsrc"], env=env, capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    # no RPATH into the build tree: the installed plugin stands alone
    r = subprocess.run(["readelf", "-d", os.path.join(dest_plugins, "libgstrtmpe.so")],
                       capture_output=True, text=True)
    assert build not in r.stdout, r.stdout
    log("gst-inspect-1.0 finds rtmpesrc, rtmpesink, rtmpeurisrc, rtmpeurisink in", dest_plugins)

    # and they work: RTMPE from the installed rtmpesink into the installed
    # rtmpesrc (listen), the system's other plugins for the rest
    os.environ["RTMPE_TESTS_INSTALLED"] = dest_plugins
    import gst  # noqa: E402
    with Peers("installed") as peers:
        port = free_port()
        out = peers.path("got.flv")
        src = gst.launch(peers, f"rtmpesrc mode=listen location=rtmpe://127.0.0.1:{port}/live/x "
                         f"! filesink location={out}", "installed-src")
        wait_port(port, 10, src)
        gst.run(peers, gen_pipeline(f"rtmpesink location=rtmpe://127.0.0.1:{port}/live/x"),
                "installed-sink", 60)
        assert peers.wait(src, 20) == 0
        check_media(out, video=100, min_audio=150)
        with open(src.logpath) as f:
            assert "ERROR" not in f.read()
    log("an RTMPE stream went through the installed plugin")
