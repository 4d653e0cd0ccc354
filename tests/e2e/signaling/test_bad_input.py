# SPDX-License-Identifier: MIT
"""Bad input against the running daemon: each gets its documented answer (docs/signaling.md)
and a call in another room keeps being served throughout."""
import asyncio
import base64
import json
import os
import socket
import sys

import websockets

from harness import Daemon, check, done

LIMITS = {"max_frame_bytes": 1024, "rate": 20, "burst": 40, "max_members": 2}


async def recv_json(ws, timeout=2.0):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


class Call:
    """Two clients in their own room exchanging seed messages: the call that must go on."""

    def __init__(self, d):
        self.d = d
        self.n = 0

    async def __aenter__(self):
        self.a = await websockets.connect(self.d.ws_url())
        self.b = await websockets.connect(self.d.ws_url())
        await self.a.send("c:call")
        await self.b.send("c:call")
        await asyncio.sleep(0.1)
        return self

    async def __aexit__(self, *exc):
        await self.a.close()
        await self.b.close()

    async def still_works(self, after):
        self.n += 1
        text = f"0:candidate-{self.n}"
        await self.a.send("m:call:" + text)
        got_b = await asyncio.wait_for(self.b.recv(), 2)
        got_a = await asyncio.wait_for(self.a.recv(), 2)
        check(got_a == text and got_b == text, f"the call in another room goes on after {after}")


async def expect_error(ws, code, what):
    try:
        r = await recv_json(ws)
    except Exception as e:  # noqa: BLE001 - report whatever happened
        r = repr(e)
    ok = isinstance(r, dict) and r.get("type") == "error" and r.get("code") == code \
        and r.get("text")
    check(ok, f"{what}: error {code}", r)


async def expect_close(ws, code, what):
    try:
        await asyncio.wait_for(ws.recv(), 3)
        got = "a frame"
    except websockets.ConnectionClosed as e:
        got = e.rcvd.code if e.rcvd else None
    except asyncio.TimeoutError:
        got = "nothing"
    check(got == code, f"{what}: connection closed with {code}", got)


async def alive(ws):
    await ws.send('{"type":"ping","tx":"alive"}')
    r = await recv_json(ws)
    return r == {"type": "pong", "tx": "alive"}


def raw_upgrade(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def read_close_code(s):
    """Read frames until a close frame; return its code (None if the socket just closed)."""
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
            while len(data) >= 2:
                op, ln = data[0] & 0x0F, data[1] & 0x7F
                if len(data) < 2 + ln:
                    break
                payload, data = data[2:2 + ln], data[2 + ln:]
                if op == 0x8:
                    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
    except socket.timeout:
        return "timeout"


async def main(binary):
    with Daemon(binary, {"signaling": LIMITS}) as d:
        async with Call(d) as call:
            async with websockets.connect(d.ws_url(), max_size=None) as x:
                await x.send("c:bad")
                await x.send(b"\x00\x01binary")
                await expect_error(x, "binary_unsupported", "binary frame")
                await call.still_works("a binary frame")

                await x.send("m:bad:" + "y" * 2000)
                await expect_error(x, "too_large", "frame over signaling.max_frame_bytes")
                check(await alive(x), "too_large leaves the connection open")
                await call.still_works("an oversized frame")

                await x.send("q:whatever")
                await expect_error(x, "unknown_command", "unknown seed command")
                await x.send("m:call:sneak")
                await expect_error(x, "not_joined", "m: for a room not joined")
                await x.send('{"type":"join","room":')
                await expect_error(x, "bad_json", "malformed JSON")
                await x.send('{"type":"launch"}')
                await expect_error(x, "unknown_type", "unknown JSON type")
                await x.send("c:call")
                await expect_error(x, "room_full", "a third member of a 2-member room")
                await call.still_works("protocol errors")

                await asyncio.sleep(2.5)  # let the bucket refill after the requests above
                for i in range(200):
                    await x.send('{"type":"ping"}')
                pongs = errors = 0
                try:
                    while True:
                        r = await recv_json(x, 0.5)
                        pongs += r.get("type") == "pong"
                        errors += r.get("code") == "rate_limited"
                except asyncio.TimeoutError:
                    pass
                check(40 <= pongs <= 50, f"flood: about a burst of 40 answered ({pongs})")
                check(1 <= errors <= 2, f"flood: rate_limited sent at most once a second ({errors})")
                await call.still_works("a flood of 200 frames")
                await asyncio.sleep(1.0)
                check(await alive(x), "the flooder is served again once the rate allows")

            async with websockets.connect(d.ws_url()) as u:
                await u.write_frame(True, 0x1, b"m:bad:\xff\xfe\xfd")
                await expect_close(u, 1007, "non-UTF-8 text frame")
            await call.still_works("a non-UTF-8 frame")

            async with websockets.connect(d.ws_url(), max_size=None) as h:
                await h.send("m:x:" + "z" * (1 << 20))
                # Too big to read at all: libsoup drops the connection without a close frame.
                try:
                    await asyncio.wait_for(h.recv(), 3)
                    closed = False
                except websockets.ConnectionClosed as e:
                    closed = e.rcvd is None or e.rcvd.code == 1009
                check(closed, "frame over 1 MiB: the connection is closed")
            await asyncio.sleep(0.2)
            check("max-incoming-payload-size" in d.text(), "frame over 1 MiB: the reason is logged")
            await call.still_works("a 1 MiB frame")

            s, head = raw_upgrade(d.port)
            check(head.startswith(b"HTTP/1.1 101"), "raw socket: WebSocket upgrade accepted")
            s.sendall(b"\x81\x02hi")  # unmasked client frame: RFC 6455 §5.1 forbids it
            code = read_close_code(s)
            check(code == 1002, "unmasked client frame: closed with 1002 (protocol error)", code)
            s.close()
            await call.still_works("an unmasked frame")

            s = socket.create_connection(("127.0.0.1", d.port), timeout=3)
            s.sendall(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
            reply = s.recv(100)
            check(reply.startswith(b"HTTP/1.0 400") or reply.startswith(b"HTTP/1.1 400"),
                  "garbage on the HTTP port: 400 Bad Request", reply)
            s.close()
            await call.still_works("garbage on the HTTP port")

        st = d.status()
        check(st["signaling"]["errors_out"] > 0, "errors are counted in /status")
        check(d.proc.poll() is None, "the daemon is still running")
    done()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
