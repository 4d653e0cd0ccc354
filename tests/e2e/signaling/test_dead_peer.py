# SPDX-License-Identifier: MIT
"""A client that vanishes without closing (its network cut) is found dead by the keepalive and
its room told `peer-left` with reason `dead`, within ping_interval + dead_peer_timeout.

Topology, all made here: netns SRV (daemon + observer) -- veth -- netns CLI (victim), on a
private range that exists only inside these two namespaces."""
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

from harness import Daemon, check, done

PING, DEAD = 1, 2


async def client(role, url):
    import websockets
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "join", "room": "vanish", "peer": role}))
        await asyncio.wait_for(ws.recv(), 5)
        print("joined", flush=True)
        if role == "victim":
            await asyncio.sleep(3600)
        while True:
            ev = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if ev.get("type") == "peer-left":
                print(json.dumps({"event": ev, "at": time.time()}), flush=True)
                return


def sh(*args):
    subprocess.run(args, check=True)


def main(binary):
    tag = uuid.uuid4().hex[:6]
    srv, cli = f"ponte-srv-{tag}", f"ponte-cli-{tag}"
    vs, vc = f"vs{tag}", f"vc{tag}"
    procs = []
    d = None
    try:
        sh("ip", "netns", "add", srv)
        sh("ip", "netns", "add", cli)
        sh("ip", "link", "add", vs, "netns", srv, "type", "veth", "peer", "name", vc, "netns", cli)
        sh("ip", "-n", srv, "addr", "add", "10.99.0.1/24", "dev", vs)
        sh("ip", "-n", cli, "addr", "add", "10.99.0.2/24", "dev", vc)
        for ns, dev in ((srv, vs), (cli, vc)):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        d = Daemon(binary, {"signaling": {"ping_interval": PING, "dead_peer_timeout": DEAD}},
                   host="10.99.0.1", netns=srv)
        url = d.ws_url()
        me = os.path.abspath(__file__)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(me))

        def start(ns, role):
            p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", me, role, url],
                                 stdout=subprocess.PIPE, text=True, env=env)
            procs.append(p)
            check(p.stdout.readline().strip() == "joined", f"{role} joined over the veth")
            return p

        start(cli, "victim")
        observer = start(srv, "observer")
        t0 = time.time()
        sh("ip", "-n", cli, "link", "set", vc, "down")  # no FIN, no RST: the peer is just gone
        line = observer.stdout.readline()
        res = json.loads(line) if line else {}
        ev = res.get("event", {})
        took = res.get("at", 1e9) - t0
        check(ev.get("peer") == "victim" and ev.get("reason") == "dead",
              "the vanished client is announced with reason dead", ev)
        check(took < PING + DEAD + 3, f"within ping_interval + dead_peer_timeout + 3 s ({took:.1f} s)")
    finally:
        for p in procs:
            p.kill()
        if d is not None:
            d.stop()
        subprocess.run(["ip", "netns", "del", srv], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", cli], stderr=subprocess.DEVNULL)
    done()


if __name__ == "__main__":
    if sys.argv[1] in ("victim", "observer"):
        asyncio.run(client(sys.argv[1], sys.argv[2]))
    else:
        main(sys.argv[1])
