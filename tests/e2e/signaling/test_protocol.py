# SPDX-License-Identifier: MIT
"""Seed and JSON protocols against the running daemon, with real WebSocket clients.

Proves: two clients in one room each receive their own and the other's m: messages; a third
room is not disturbed; JSON join/presence/addressed messages; rooms disappear with their last
member (GET /status); a closed connection is announced to its room."""
import asyncio
import json
import sys

import websockets

from harness import Daemon, check, done


async def recv(ws, timeout=2.0):
    return await asyncio.wait_for(ws.recv(), timeout)


async def silent(ws, timeout=0.3):
    try:
        msg = await asyncio.wait_for(ws.recv(), timeout)
        return msg
    except asyncio.TimeoutError:
        return None


async def seed(d):
    async with websockets.connect(d.ws_url()) as a, websockets.connect(d.ws_url()) as b, \
            websockets.connect(d.ws_url()) as c:
        await a.send("c:403")
        await b.send("c:403")
        await c.send("c:777")
        await asyncio.sleep(0.1)
        await a.send('m:403:0:{"type":"candidate"}')
        await b.send('m:403:1:{"type":"offer"}')
        got_a = {await recv(a), await recv(a)}
        got_b = {await recv(b), await recv(b)}
        want = {'0:{"type":"candidate"}', '1:{"type":"offer"}'}
        check(got_a == want, "seed: A receives its own and B's m: messages", got_a)
        check(got_b == want, "seed: B receives its own and A's m: messages", got_b)
        check(await silent(c) is None, "seed: a client in a third room hears nothing")
        await c.send("m:777:alone")
        check(await recv(c) == "alone", "seed: the third room works on its own")
        check(await silent(a) is None, "seed: ... and does not reach room 403")
        st = d.status()
        check(st["signaling"]["rooms"] == 2 and st["signaling"]["connections"] >= 3,
              "status: 2 rooms, 3 connections", st)
    await asyncio.sleep(0.3)
    st = d.status()
    check(st["signaling"]["rooms"] == 0, "rooms disappear when their last member leaves", st)


async def json_proto(d):
    async with websockets.connect(d.ws_url()) as a, websockets.connect(d.ws_url()) as b:
        await a.send(json.dumps({"type": "join", "room": "k3Y", "peer": "alice", "tx": 1}))
        r = json.loads(await recv(a))
        check(r == {"type": "joined", "room": "k3Y", "peer": "alice", "peers": [], "tx": 1,
                    "media": "p2p"}, "json: joined (media mode of the room)", r)
        await b.send(json.dumps({"type": "join", "room": "k3Y", "peer": "bob"}))
        r = json.loads(await recv(b))
        check(r["type"] == "joined" and r["peers"] == ["alice"], "json: bob sees alice", r)
        r = json.loads(await recv(a))
        check(r == {"type": "peer-joined", "room": "k3Y", "peer": "bob"},
              "json: alice told bob joined", r)
        await b.send(json.dumps({"type": "message", "room": "k3Y", "to": "alice",
                                 "data": {"sdp": "v=0\r\n"}}))
        r = json.loads(await recv(a))
        check(r == {"type": "message", "room": "k3Y", "from": "bob", "data": {"sdp": "v=0\r\n"}},
              "json: addressed message delivered unchanged", r)
        check(await silent(b) is None, "json: sender gets no echo")
        await b.send(json.dumps({"type": "ping", "tx": "t"}))
        check(json.loads(await recv(b)) == {"type": "pong", "tx": "t"}, "json: ping/pong")
        await b.close()
        r = json.loads(await recv(a))
        check(r == {"type": "peer-left", "room": "k3Y", "peer": "bob", "reason": "closed"},
              "json: a closed connection is announced", r)


async def seed_path_compat(d):
    """The ported seed client speaks the seed frames through /ws; other paths are not WS."""
    try:
        async with websockets.connect(d.ws_url("/nope")):
            ok = False
    except Exception:
        ok = True
    check(ok, "a WebSocket upgrade on another path is refused")


async def main(binary):
    with Daemon(binary) as d:
        await seed(d)
        await json_proto(d)
        await seed_path_compat(d)
        code = d.stop()
        check(code == 0, f"daemon exits 0 on SIGTERM (got {code})")
        check("shutting down" in d.text(), "shutdown is logged")
    done()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
