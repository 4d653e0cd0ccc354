#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A second, independent WebRTC stack against the gateway: aiortc attaches the echo service.

    echo.py PONTE          starts PONTE in a private network namespace and runs the client
                           there (needs root for `ip netns`)
    echo.py --client URL   the client alone, against a daemon at URL (http://127.0.0.1:PORT)

The client joins a room over the daemon's WebSocket (python3-websockets), attaches the echo
service and offers audio, video and a data channel from aiortc (Debian python3-aiortc 1.4.0):
a 440 Hz tone and a green picture with a moving white square, both made here. aiortc gathers
before it offers (so its candidates are in the offer and it trickles only the end of them),
takes the gateway's trickled candidates, and speaks DTLS 1.2 only. The test proves that the
media came back through the gateway (frames decoded on the returned tracks: the tone's pitch
and the picture's colour), that text and binary data channel messages are echoed, that the
gateway's dataplane counted the packets (GET /status), and that hangup is confirmed.

Three aiortc 1.4.0 quirks are worked around (see /work/shared/TESTING-PEERS.md for the first
two): its video abs-send-time header extension reuses id 2, which audio gives to audio-level
(BUNDLE needs one meaning per id, RFC 8843 section 9.2), so video's is renumbered to 3; aioice
leaves out 127.0.0.1 from host addresses, which is the only address the namespace has, so it is
put back; and as an offerer aiortc writes the data channel section in the pre-RFC 8841 form
(`m=application ... DTLS/SCTP 5000` with `a=sctpmap`), which the gateway refuses (port 0 in
its answer; aiortc then rejects the whole answer because the refused section has no ICE
credentials), so the offer is made in the RFC 8841 form (`UDP/DTLS/SCTP webrtc-datachannel`,
`a=sctp-port`), as browsers write it.

The daemon runs with `webrtc.dtls_setup: active` (the browser tests cover the default,
passive): aiortc 1.4.0 picks its data channel stream parity from its ICE role (controlling:
odd) instead of its DTLS role (RFC 8832 section 6: the DTLS client uses even ids), so as the
offerer facing a passive gateway it would be a DTLS client opening stream 1, which the gateway
refuses ("stream id of our parity"). With the gateway as the DTLS client aiortc is the server,
and odd ids are right. This also covers the gateway's active DTLS role end to end.

Prints one "ok N - ..." line per check and "N passed, M failed" last; exits 1 on any failure
and 77 (skipped) when aiortc is not installed. Never runs longer than OVERALL_TIMEOUT_S.
"""

import argparse
import asyncio
import fractions
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

OVERALL_TIMEOUT_S = 60
CLIENT_TIMEOUT_S = OVERALL_TIMEOUT_S - 10
TONE_HZ = 440
GREEN = (40, 160, 60)
WIDTH, HEIGHT = 320, 240


# ---- reporting ----

class Report:
    def __init__(self):
        self.nb_passed = 0
        self.nb_failed = 0

    def check(self, is_ok, name, detail=None):
        if is_ok:
            self.nb_passed += 1
        else:
            self.nb_failed += 1
        print(f"{'ok' if is_ok else 'not ok'} {self.nb_passed + self.nb_failed} - {name}",
              flush=True)
        if detail and not is_ok:
            print("# " + str(detail).replace("\n", "\n# "), flush=True)
        return is_ok

    def require(self, is_ok, name, detail=None):
        """A check later ones depend on: a failure ends the run."""
        if not self.check(is_ok, name, detail):
            raise Abort(name)

    def finish(self):
        print(f"{self.nb_passed} passed, {self.nb_failed} failed", flush=True)
        return 0 if self.nb_failed == 0 and self.nb_passed > 0 else 1


class Abort(Exception):
    pass


class NoReply(Exception):
    pass


def note(text):
    print("# " + str(text).replace("\n", "\n# "), flush=True)


# ---- the client (runs inside the namespace) ----

def patch_aiortc():
    import aioice.ice
    from aiortc import codecs
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

    video = codecs.HEADER_EXTENSIONS["video"]
    for i, ext in enumerate(video):
        if ext.uri.endswith("abs-send-time") and ext.id == 2:
            video[i] = RTCRtpHeaderExtensionParameters(id=3, uri=ext.uri)

    original = aioice.ice.get_host_addresses

    def get_host_addresses(use_ipv4, use_ipv6):
        addresses = original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        return addresses

    aioice.ice.get_host_addresses = get_host_addresses


def make_tracks():
    import av
    import numpy as np
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    class ToneTrack(AudioStreamTrack):
        """A steady sine tone, 48 kHz mono, 20 ms frames, paced in real time."""

        rate = 48000
        samples = 960

        def __init__(self):
            super().__init__()
            self.pts = 0
            self.start = None

        async def recv(self):
            if self.start is None:
                self.start = time.time()
            else:
                wait = self.start + self.pts / self.rate - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            t = (self.pts + np.arange(self.samples)) / self.rate
            pcm = (0.5 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self.pts
            frame.time_base = fractions.Fraction(1, self.rate)
            self.pts += self.samples
            return frame

    class ColourTrack(VideoStreamTrack):
        """A green picture with a white square moving along its top edge."""

        def __init__(self):
            super().__init__()
            self.n = 0

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
            img[:, :] = GREEN
            x = (self.n * 4) % (WIDTH - 32)
            img[4:36, x:x + 32] = 255
            self.n += 1
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = pts
            frame.time_base = time_base
            return frame

    return ToneTrack(), ColourTrack()


class Signaling:
    """The daemon's JSON protocol: requests with tx, and a queue of the other frames."""

    def __init__(self, ws):
        self.ws = ws
        self.next_tx = 1
        self.waiting = {}
        self.frames = asyncio.Queue()
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        async for text in self.ws:
            msg = json.loads(text)
            fut = self.waiting.pop(msg.get("tx"), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)
            else:
                await self.frames.put(msg)

    async def request(self, frame, timeout=10):
        tx = self.next_tx
        self.next_tx += 1
        fut = asyncio.get_running_loop().create_future()
        self.waiting[tx] = fut
        await self.ws.send(json.dumps({**frame, "tx": tx}))
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self.waiting.pop(tx, None)
            raise NoReply(f"no reply with tx {tx} to {frame['type']} within {timeout} s") \
                from None

    async def next_frame(self, match, timeout):
        """The next queued frame for which match(frame) is true, or None after timeout."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            try:
                msg = await asyncio.wait_for(self.frames.get(), left)
            except asyncio.TimeoutError:
                return None
            if match(msg):
                return msg

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))


class Receiver:
    """Consumes a returned track and keeps what the checks need."""

    def __init__(self, track):
        self.track = track
        self.nb_frames = 0
        self.first_at = None
        self.pcm = []  # audio: mono float samples of the latest frames
        self.rate = 0
        self.colour = None  # video: mean RGB of the centre of the latest frame
        self.size = None
        self.task = asyncio.ensure_future(self.run())

    async def run(self):
        import numpy as np
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                return
            self.nb_frames += 1
            if self.first_at is None:
                self.first_at = time.time()
            if self.track.kind == "audio":
                arr = frame.to_ndarray().reshape(-1).astype(np.float64) / 32768
                channels = len(frame.layout.channels)
                if channels > 1:
                    arr = arr.reshape(-1, channels)[:, 0]
                self.rate = frame.sample_rate
                self.pcm.append(arr)
                self.pcm = self.pcm[-100:]  # two seconds
            else:
                img = frame.to_ndarray(format="rgb24")
                h, w = img.shape[:2]
                centre = img[h // 2 - 20:h // 2 + 20, w // 2 - 20:w // 2 + 20]
                self.colour = tuple(int(c) for c in centre.reshape(-1, 3).mean(axis=0))
                self.size = (w, h)

    def tone(self):
        """(rms, strongest frequency in Hz) of the last second of audio."""
        import numpy as np

        if not self.pcm or not self.rate:
            return 0.0, None
        x = np.concatenate(self.pcm)[-self.rate:]
        rms = float(np.sqrt(np.mean(x * x)))
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        spectrum[0] = 0
        hz = float(np.argmax(spectrum)) * self.rate / len(x)
        return rms, round(hz)


def read_status(url):
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=5) as res:
            return json.loads(res.read())
    except Exception as err:  # noqa: BLE001 - reported, not fatal
        return {"error": str(err)}


async def run_client(url, rep):
    import websockets
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.sdp import candidate_from_sdp

    ws_url = url.replace("http://", "ws://") + "/ws"
    ws = None
    for _ in range(50):
        try:
            ws = await websockets.connect(ws_url)
            break
        except OSError:
            await asyncio.sleep(0.2)
    rep.require(ws is not None, f"WebSocket connects to {ws_url}")
    sig = Signaling(ws)
    pc = None
    try:
        # A room keeps the connection past signaling.join_timeout; echo needs none otherwise.
        joined = await sig.request({"type": "join", "room": f"aiortc-{os.getpid()}"})
        rep.require(joined.get("type") == "joined", "joined a room", joined)
        attached = await sig.request({"type": "attach", "service": "echo"})
        session = attached.get("session")
        rep.require(attached.get("type") == "attached" and session,
                    f"attached the echo service (session {session})", attached)

        pc = RTCPeerConnection()
        pc._sctpLegacySdp = False  # RFC 8841 data channel section (see the top)
        receivers = {}
        pc.on("track", lambda track: receivers.setdefault(track.kind, Receiver(track)))
        tone, picture = make_tracks()
        pc.addTrack(tone)
        pc.addTrack(picture)
        channel = pc.createDataChannel("chat")
        echoed = []
        channel_open = asyncio.Event()
        channel.on("open", channel_open.set)
        channel.on("message", echoed.append)

        await pc.setLocalDescription(await pc.createOffer())  # gathers first
        offer_sdp = pc.localDescription.sdp
        note("offer: " + " | ".join(
            line for line in offer_sdp.splitlines()
            if line.startswith(("m=", "a=extmap", "a=candidate", "a=setup", "a=group",
                                "a=sctp", "a=mid"))))
        answer = await sig.request({"type": "offer", "session": session, "sdp": offer_sdp})
        rep.require(answer.get("type") == "answer" and answer.get("sdp"),
                    "the gateway answers the offer", answer)
        sections = [line for line in answer["sdp"].splitlines() if line.startswith("m=")]
        rep.check(len(sections) == 3 and all(not m.split()[1] == "0" for m in sections),
                  "the answer accepts audio, video and the data channel", sections)
        note("answer: " + " | ".join(
            line for line in answer["sdp"].splitlines()
            if line.startswith(("m=", "a=candidate", "a=setup", "a=group", "a=end-of",
                                "a=ice-", "a=mid", "a=sctp"))))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        # aiortc trickles nothing: its candidates were in the offer. Say there are no more.
        await sig.send({"type": "candidate", "session": session, "candidate": ""})

        # The gateway's trickled candidates, until the connection is up.
        nb_remote = 0

        async def take_candidates():
            nonlocal nb_remote
            while True:
                msg = await sig.frames.get()
                if msg.get("session") != session:
                    continue
                if msg.get("type") == "hungup":
                    note(f"hungup during set-up: {msg}")
                    return
                if msg.get("type") != "candidate":
                    continue
                value = msg.get("candidate") or ""
                if not value:
                    transport = pc.getTransceivers()[0].receiver.transport.transport
                    await transport.addRemoteCandidate(None)
                    continue
                cand = candidate_from_sdp(value.split(":", 1)[1])
                cand.sdpMid = msg.get("mid", "0")
                await pc.addIceCandidate(cand)
                nb_remote += 1

        taker = asyncio.ensure_future(take_candidates())
        deadline = time.time() + 20
        while pc.connectionState not in ("connected", "failed", "closed") and \
                time.time() < deadline:
            await asyncio.sleep(0.1)
        rep.require(pc.connectionState == "connected",
                    f"ICE and DTLS connect (connectionState {pc.connectionState}, ICE "
                    f"{pc.iceConnectionState}, {nb_remote} trickled gateway candidate(s))")
        transport = pc.getTransceivers()[0].receiver.transport
        pair = transport.transport._connection._nominated.get(1)
        note(f"selected pair: {pair}, aiortc's DTLS role {transport._role}")

        # Media back: let it flow for a few seconds, then look at what arrived.
        await asyncio.sleep(4)
        audio = receivers.get("audio")
        video = receivers.get("video")
        rep.check(video is not None and video.nb_frames >= 20,
                  f"returned video frames decoded ({video.nb_frames if video else 0} in ~4 s, "
                  f"{video.size if video else None})")
        n1 = video.nb_frames if video else 0
        await asyncio.sleep(1)
        n2 = video.nb_frames if video else 0
        rep.check(n2 > n1, f"returned video keeps coming ({n1} -> {n2} frames)")
        colour = video.colour if video else None
        rep.check(colour is not None and all(abs(c - g) <= 30 for c, g in zip(colour, GREEN)),
                  f"returned video is the picture sent (centre RGB {colour}, sent {GREEN})")
        rep.check(audio is not None and audio.nb_frames >= 100,
                  f"returned audio frames decoded ({audio.nb_frames if audio else 0} in ~5 s)")
        rms, hz = audio.tone() if audio else (0.0, None)
        rep.check(rms > 0.05 and hz is not None and abs(hz - TONE_HZ) <= 10,
                  f"returned audio is the tone sent (rms {rms:.3f}, strongest {hz} Hz, sent "
                  f"{TONE_HZ} Hz)")

        # Data channel: a text and a binary message come back unchanged.
        try:
            await asyncio.wait_for(channel_open.wait(), 10)
        except asyncio.TimeoutError:
            pass
        rep.require(channel.readyState == "open", f"data channel open ({channel.readyState})")
        text = f"aiortc echo {os.getpid()}"
        blob = bytes((i * 7) & 0xFF for i in range(1000))
        channel.send(text)
        channel.send(blob)
        deadline = time.time() + 5
        while not (text in echoed and blob in echoed) and time.time() < deadline:
            await asyncio.sleep(0.05)
        rep.check(text in echoed, "a text data channel message comes back", echoed)
        rep.check(blob in echoed, "a 1000-byte binary data channel message comes back",
                  [len(m) for m in echoed])

        status = read_status(url)
        mine = [s for s in status.get("gateway", {}).get("list", []) if s.get("session") == session]
        flow = mine[0].get("flow", {}) if mine else {}
        note(f"GET /status gateway: {json.dumps(status.get('gateway'))}")
        rep.check(flow.get("rtp_in", 0) > 0 and flow.get("pkts_out", 0) > 0 and
                  flow.get("drop_auth", 1) == 0,
                  f"the gateway's dataplane carried the session (rtp_in {flow.get('rtp_in')}, "
                  f"pkts_out {flow.get('pkts_out')}, drop_auth {flow.get('drop_auth')})", status)

        taker.cancel()
        # docs/signaling.md: the reply is hungup, reason hangup, with the request's tx.
        try:
            reply = await sig.request({"type": "hangup", "session": session}, timeout=3)
            has_tx = True
        except NoReply:
            reply = await sig.next_frame(
                lambda m: m.get("type") == "hungup" and m.get("session") == session, 2)
            has_tx = False
        rep.check(reply is not None and reply.get("type") == "hungup" and
                  reply.get("reason") == "hangup",
                  "hangup is confirmed (hungup, reason hangup)", reply)
        rep.check(has_tx, "the hungup reply carries the hangup request's tx",
                  f"received {reply} without the tx")
    finally:
        if pc is not None:
            await pc.close()
        await ws.close()
        sig.reader.cancel()


async def client_main(url):
    rep = Report()
    try:
        patch_aiortc()
    except ImportError as err:
        print(f"# aiortc missing: {err}")
        return 77
    try:
        await asyncio.wait_for(run_client(url, rep), CLIENT_TIMEOUT_S)
    except Abort:
        pass
    except NoReply as err:
        rep.check(False, "the gateway replies to every request", err)
    except asyncio.TimeoutError:
        rep.check(False, f"finished within {CLIENT_TIMEOUT_S} s")
    except Exception as err:  # noqa: BLE001 - any surprise is a failed run, with its story
        import traceback

        rep.check(False, "ran to the end", traceback.format_exc())
        del err
    return rep.finish()


# ---- the wrapper (root namespace) ----

def free_port_in(ns):
    out = subprocess.run(
        ["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
         "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); "
         "print(s.getsockname()[1])"],
        check=True, capture_output=True, text=True)
    return int(out.stdout)


def run_wrapped(ponte):
    if os.geteuid() != 0:
        print("echo.py: needs root for 'ip netns'", file=sys.stderr)
        return 1
    try:
        import aiortc  # noqa: F401
        import websockets  # noqa: F401
    except ImportError as err:
        print(f"# skipped: {err} (apt-get install python3-aiortc python3-websockets)")
        return 77
    ns = f"ponte-e2e-aiortc-{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="ponte-e2e-aiortc.")
    log_path = os.path.join(tmp, "ponte.log")
    daemon = None
    status = 1

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        port = free_port_in(ns)
        config = os.path.join(tmp, "ponte.yaml")
        with open(config, "w") as f:
            f.write(f"log:\n  level: debug\nhttp:\n  listen: 127.0.0.1\n  port: {port}\n"
                    "webrtc:\n  addresses: [127.0.0.1]\n  dtls_setup: active\n")
        with open(log_path, "w") as log:
            daemon = subprocess.Popen(["ip", "netns", "exec", ns, ponte, "-c", config],
                                      stdout=log, stderr=subprocess.STDOUT)
        client = subprocess.run(
            ["ip", "netns", "exec", ns, "/usr/bin/python3", os.path.abspath(__file__),
             "--client", f"http://127.0.0.1:{port}"],
            timeout=OVERALL_TIMEOUT_S)
        status = client.returncode
        if daemon.poll() is not None:
            print(f"# the daemon exited with status {daemon.returncode}")
            status = status or 1
    except subprocess.TimeoutExpired:
        print(f"not ok - finished within {OVERALL_TIMEOUT_S} s\n0 passed, 1 failed")
        status = 1
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        for pid in pids.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "delete", ns], stderr=subprocess.DEVNULL)
        if status != 0 and os.path.exists(log_path):
            with open(log_path) as f:
                lines = f.read().splitlines()
            print("# daemon log (last 40 lines):")
            for line in lines[-40:]:
                print(f"#   {line}")
        out = os.environ.get("E2E_OUT", "/tmp/ponte-e2e-aiortc-out")
        os.makedirs(out, exist_ok=True)
        if os.path.exists(log_path):
            shutil.copy(log_path, os.path.join(out, "ponte.log"))
            print(f"# daemon log in {out}/ponte.log")
        shutil.rmtree(tmp, ignore_errors=True)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ponte", nargs="?", help="the built daemon")
    parser.add_argument("--client", metavar="URL", help="run the client against URL")
    args = parser.parse_args()
    if args.client:
        return asyncio.run(client_main(args.client.rstrip("/")))
    if not args.ponte:
        parser.error("PONTE or --client URL is required")
    return run_wrapped(os.path.abspath(args.ponte))


if __name__ == "__main__":
    sys.exit(main())
