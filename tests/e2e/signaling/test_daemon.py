# SPDX-License-Identifier: MIT
"""The daemon's life: command line, embedded default config, config errors, HTTP(S) serving of
the web client, self-signed TLS kept across restarts, clean shutdown on SIGINT and SIGTERM."""
import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import websockets

from harness import Daemon, check, done, free_port


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def get(url, ctx=None):
    try:
        with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def command_line(binary):
    r = run([binary, "--version"])
    check(r.returncode == 0 and r.stdout.startswith("ponte "), "--version", r.stdout)
    r = run([binary, "--no-such-flag"])
    check(r.returncode == 2 and "ponte:" in r.stderr, "unknown flag: exit 2 with a message")
    d = tempfile.mkdtemp()
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("http:\n  port: 99999\n  colour: blue\n")
    r = run([binary, "--check-config", bad])
    want = [f"{bad}:2:9: http.port: 99999 is out of range (1..65535)",
            f"{bad}:3:3: http.colour: unknown key"]
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 2 and lines[0] == want[0]
          and lines[1].startswith(want[1]),
          "--check-config: exit 2, one FILE:LINE:COL line per problem", r.stderr)
    r = run([binary, "-c", bad])
    check(r.returncode == 2 and lines[0] in r.stderr, "-c with a bad file: nothing starts, exit 2")
    # A rule of the SIP side (what an account's calls ring) is the configuration's too.
    with open(bad, "w") as f:
        f.write("sip:\n  accounts:\n    - name: office\n      registrar: sip:192.0.2.1\n"
                "      incoming: front desk\n")
    r = run([binary, "--check-config", bad])
    want = (f"{bad}:5:17: sip.accounts[0].incoming: expected a browser name (1 to 32 of "
            "[A-Za-z0-9._-]) or room-KEY (a room name of 1 to 128 bytes without ':' or control "
            "characters), got \"front desk\"")
    check(r.returncode == 2 and r.stderr.strip() == want,
          "--check-config: a bad sip.accounts[].incoming at its FILE:LINE:COL", r.stderr)
    r = run([binary, "-c", os.path.join(d, "missing.yaml")])
    check(r.returncode == 2 and "missing.yaml: cannot read" in r.stderr, "unreadable config")


def embedded_default(binary):
    """`ponte` with no argument runs the embedded configs/ponte.yaml: 127.0.0.1:8080."""
    ns = "ponte-t-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        p = subprocess.Popen(["ip", "netns", "exec", ns, binary], stderr=subprocess.PIPE,
                             text=True)
        line = ""
        end = time.time() + 10
        while time.time() < end and "listening: open" not in line:
            line = p.stderr.readline()
        check("listening: open http://127.0.0.1:8080/" in line,
              "no arguments: embedded default listens on http://127.0.0.1:8080/", line)
        r = run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                 "import urllib.request;print(urllib.request.urlopen("
                 "'http://127.0.0.1:8080/status').status)"])
        check(r.stdout.strip() == "200", "embedded default serves /status", r.stderr)
        p.send_signal(signal.SIGINT)
        check(p.wait(10) == 0, "SIGINT: clean exit 0")
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def http_serving(binary):
    with Daemon(binary) as d:
        code, hdrs, body = get(d.url + "/")
        check(code == 200 and b"<html" in body.lower() and
              hdrs["Content-Type"].startswith("text/html"), "GET / serves the web client")
        check("default-src 'self'" in hdrs.get("Content-Security-Policy", ""),
              "the page is served with a Content-Security-Policy")
        code, hdrs, body = get(d.url + "/js/app.js")
        check(code == 200 and hdrs["Content-Type"].startswith("text/javascript"),
              "GET /js/app.js: JavaScript from the embedded client")
        code, _, _ = get(d.url + "/seed/")
        check(code == 200, "GET /seed/: the ported seed client")
        code, _, body = get(d.url + "/seed")
        check(code == 200 and b"<html" in body.lower(), "GET /seed redirects to /seed/")
        code, _, _ = get(d.url + "/nothing-here.js")
        check(code == 404, "unknown file: 404")
        code, _, _ = get(d.url + "/../../etc/passwd")
        check(code in (400, 404), "path traversal refused")
        req = urllib.request.Request(d.url + "/", method="POST", data=b"x")
        code, hdrs, _ = get(req)
        check(code == 405 and "GET" in hdrs.get("Allow", ""), "POST: 405 with Allow")
        code, _, body = get(d.url + "/status")
        st = json.loads(body)
        check(code == 200 and "version" in st and "signaling" in st, "GET /status: JSON")
        # A second daemon on the same port fails clearly.
        dup = tempfile.mkdtemp()
        cfg = os.path.join(dup, "dup.yaml")
        with open(cfg, "w") as f:
            f.write(f"http:\n  listen: 127.0.0.1\n  port: {d.port}\nsip:\n  enabled: false\n")
        r = run([binary, "-c", cfg])
        check(r.returncode == 1 and "cannot listen on 127.0.0.1 port" in r.stderr,
              "port in use: exit 1 with a clear message", r.stderr)

    web = tempfile.mkdtemp()
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<html>from disk</html>")
    with Daemon(binary, {"http": {"web_root": web}}) as d:
        code, _, body = get(d.url + "/")
        check(code == 200 and body == b"<html>from disk</html>", "http.web_root serves from disk")


def tls(binary):
    tdir = os.path.join(tempfile.mkdtemp(), "tls")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    fps = []
    for attempt in range(2):
        d = Daemon(binary, {"tls": {"enabled": True, "self_signed_dir": tdir}})
        d.tls = True
        try:
            code, _, body = get(d.url + "/", ctx)
            check(code == 200 and b"<html" in body.lower(), f"HTTPS serves the client (start {attempt + 1})")
            fps.append([l for l in d.text().splitlines() if "sha-256=" in l][0].split("sha-256=")[1])

            async def wss():
                async with websockets.connect(f"wss://127.0.0.1:{d.port}/ws", ssl=ctx) as ws:
                    await ws.send('{"type":"ping","tx":1}')
                    return json.loads(await asyncio.wait_for(ws.recv(), 3))
            check(asyncio.run(wss()) == {"type": "pong", "tx": 1}, "WSS signaling works")
        finally:
            d.stop()
    check(os.stat(os.path.join(tdir, "key.pem")).st_mode & 0o077 == 0,
          "the generated private key is not readable by others")
    check(len(fps) == 2 and fps[0] == fps[1],
          "the self-signed certificate is kept across restarts (same fingerprint)")
    r = run(["openssl", "x509", "-in", os.path.join(tdir, "cert.pem"), "-noout", "-text"])
    check("prime256v1" in r.stdout and "DNS:localhost" in r.stdout and "IP Address:127.0.0.1"
          in r.stdout, "certificate: ECDSA P-256 with localhost and 127.0.0.1 names")


def main(binary):
    binary = os.path.abspath(binary)
    command_line(binary)
    embedded_default(binary)
    http_serving(binary)
    tls(binary)
    done()


if __name__ == "__main__":
    main(sys.argv[1])
