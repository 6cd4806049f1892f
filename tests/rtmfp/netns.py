"""A private network namespace for RTMFP tests: loopback only, created and
deleted by the test, with optional random loss on every UDP datagram
(iptables statistic match inside the namespace).

Python 3 standard library only; needs root (ip netns, iptables).
"""

import os
import shutil
import subprocess

from peers import log, skip


class Netns:
    def __init__(self, name):
        if os.geteuid() != 0:
            skip("needs root for a network namespace (ip netns)")
        for tool in ("ip", "iptables"):
            if shutil.which(tool) is None:
                skip(f"{tool} is not installed (scripts/setup.sh installs it)")
        self.name = f"rtmfp-{name}-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run(["ip", "link", "set", "lo", "up"])

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def run(self, args, **kw):
        return subprocess.run(self.prefix() + args, check=True,
                              capture_output=True, text=True, **kw)

    def set_loss(self, probability):
        """Drops each UDP datagram with @probability, both directions
        (every datagram crosses INPUT once on loopback)."""
        self.run(["iptables", "-F", "INPUT"])
        if probability > 0:
            self.run(["iptables", "-A", "INPUT", "-p", "udp", "-m", "statistic",
                      "--mode", "random", "--probability", str(probability),
                      "-j", "DROP"])
        log(f"netns {self.name}: UDP loss {probability * 100:.1f}%")

    def dropped(self):
        """Datagrams the loss rule dropped so far."""
        out = self.run(["iptables", "-L", "INPUT", "-v", "-n", "-x"]).stdout
        for line in out.splitlines():
            if "statistic" in line:
                return int(line.split()[0])
        return 0

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
