# SPDX-License-Identifier: MIT
"""Start and stop a real ponte daemon for a test, and small checking helpers.

Run with Debian's /usr/bin/python3 (python3-websockets)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSED = 0
FAILED = 0


def check(cond, what, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print(f"ok {PASSED + FAILED} - {what}", flush=True)
    else:
        FAILED += 1
        print(f"not ok {PASSED + FAILED} - {what} {detail}", flush=True)
    return cond


def done():
    print(f"{PASSED} passed, {FAILED} failed", flush=True)
    sys.exit(0 if FAILED == 0 and PASSED > 0 else 1)


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar


class Daemon:
    """ponte with a temporary config; `sections` maps section -> {key: value}."""

    def __init__(self, binary, sections=None, host="127.0.0.1", netns=None):
        self.binary = os.path.abspath(binary)
        self.host = host
        self.port = free_port(host) if netns is None else 18080
        self.dir = tempfile.mkdtemp(prefix="ponte-test-")
        # No SIP stack unless a test asks: tests run in parallel, and 5060 is one port.
        conf = {"http": {"listen": host, "port": self.port},
                "log": {"level": "debug"}, "sip": {"enabled": False}}
        for sec, kv in (sections or {}).items():
            conf.setdefault(sec, {}).update(kv)
        self.config = os.path.join(self.dir, "ponte.yaml")
        with open(self.config, "w") as f:
            for sec, kv in conf.items():
                f.write(f"{sec}:\n")
                for k, v in kv.items():
                    f.write(f"  {k}: {yaml_scalar(v)}\n")
        self.log = os.path.join(self.dir, "ponte.log")
        cmd = [self.binary, "-c", self.config]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        self._wait_listening()

    @property
    def url(self):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    tls = False

    def ws_url(self, path="/ws"):
        return f"ws://{self.host}:{self.port}{path}"

    def _wait_listening(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ponte exited with {self.proc.returncode}:\n{self.text()}")
            if "listening: open" in self.text():
                return
            time.sleep(0.05)
        raise RuntimeError("ponte did not start listening:\n" + self.text())

    def text(self):
        with open(self.log) as f:
            return f.read()

    def status(self):
        with urllib.request.urlopen(f"http://{self.host}:{self.port}/status", timeout=5) as r:
            return json.loads(r.read())

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None:
            print(self.text()[-4000:], file=sys.stderr)
