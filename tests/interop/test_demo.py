#!/usr/bin/env python3
"""The README's main command does what it says: runs scripts/demo.py (the
part of scripts/demo.sh after the set-up) for a short stream and checks it
reports success."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gst  # noqa: E402

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with tempfile.TemporaryDirectory(prefix="rtmpe-demo-") as d:
    out = os.path.join(d, "received.flv")
    r = subprocess.run(["/usr/bin/python3", os.path.join(top, "scripts", "demo.py"),
                        "--seconds", "4", "--output", out],
                       env=gst.env(), capture_output=True, text=True, timeout=90)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    assert r.returncode == 0, "the demo failed"
    assert "OK: every frame went through RTMPE" in r.stdout
    assert "cipher RC4" in r.stdout
    assert os.path.getsize(out) > 100000
