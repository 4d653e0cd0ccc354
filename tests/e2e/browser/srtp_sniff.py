# SPDX-License-Identifier: MIT
"""Watch IFACE (lo by default) for the media of a SIP phone whose RTP/RTCP ports are in
PORT_MIN..PORT_MAX, for a while, and print what the packets show, as JSON: per direction
(to_phone, from_phone) the number of RTP packets, the histogram of "payload length - 160" of
the PCMU (payload type 0) ones (a 20 ms PCMU frame is 160 bytes: what is left is the SRTP
authentication tag, RFC 3711 §3.1, or 0 for plain RTP), the number of RTCP packets and how many
of them have the SRTCP E flag set (RFC 3711 §3.4: encrypted) where a 10-byte SRTCP tag would
put it.
Each line read on stdin meanwhile is answered with a JSON line of what was captured up to then
(every frame the kernel queued for the socket so far taken first), {"mark": N, ...}: a test
brackets another counter's samples with two marks. It stops after SECONDS or when stdin closes.
Needs root (a raw AF_PACKET socket in the test's own namespace). argv: PORT_MIN PORT_MAX
SECONDS [IFACE] (where the phone's frames pass: lo, or the peer's veth in a DPDK lab)."""
import json
import os
import select
import socket
import struct
import sys
import time

port_min, port_max, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
iface = sys.argv[4] if len(sys.argv) > 4 else "lo"
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sniff.bind((iface, 0))
sniff.setblocking(False)


def side():
    return {"rtp": 0, "pcmu_extra": {}, "rtcp": 0, "rtcp_e": 0}


def take(frame, addr):
    # lo shows each datagram twice, once as outgoing (pkttype 4): count that copy only. A veth
    # shows each once, outgoing from the phone, incoming to it.
    if iface == "lo" and addr[2] != socket.PACKET_OUTGOING:
        return
    ip = frame[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        return
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    pkt = ip[ihl + 8:]
    if port_min <= dport <= port_max:
        s = seen["to_phone"]
    elif port_min <= sport <= port_max:
        s = seen["from_phone"]
    else:
        return
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        return
    if 200 <= pkt[1] <= 204:  # RFC 5761 §4: an RTCP packet type
        s["rtcp"] += 1
        if len(pkt) >= 8 + 14 and pkt[-14] & 0x80:
            s["rtcp_e"] += 1
        return
    s["rtp"] += 1
    if pkt[1] & 0x7F == 0:
        hdr = 12 + 4 * (pkt[0] & 15)
        if pkt[0] & 0x10 and len(pkt) >= hdr + 4:
            hdr += 4 + 4 * struct.unpack("!H", pkt[hdr + 2:hdr + 4])[0]
        extra = str(len(pkt) - hdr - 160)
        s["pcmu_extra"][extra] = s["pcmu_extra"].get(extra, 0) + 1


def drain():
    while True:
        try:
            take(*sniff.recvfrom(65535))
        except BlockingIOError:
            return


seen = {"to_phone": side(), "from_phone": side()}
print("ready", flush=True)
end = time.time() + seconds
nb_marks = 0
while time.time() < end:
    ready, _, _ = select.select([sniff, 0], [], [], max(0, min(0.2, end - time.time())))
    if sniff in ready:
        drain()
    if 0 in ready:
        lines = os.read(0, 4096)
        if not lines:
            break
        drain()
        for _ in range(lines.count(b"\n")):
            nb_marks += 1
            print(json.dumps({"mark": nb_marks, **seen}), flush=True)
drain()
print(json.dumps(seen), flush=True)
