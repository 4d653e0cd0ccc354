# SPDX-License-Identifier: MIT
"""Attack a live media flow from inside the test's namespace: sniff the browser's SRTP to the
gateway on lo, then send, with the browser's own source address, replays of real packets,
forged (bit-flipped) and truncated copies, and random garbage. Needs root (raw sockets).
argv: BROWSER_PORT GATEWAY_PORT; prints what it sent as JSON."""
import json
import os
import random
import socket
import struct
import sys

bport, gport = int(sys.argv[1]), int(sys.argv[2])
ETH_P_ALL = 3
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
sniff.bind(("lo", 0))
sniff.settimeout(5)
captured = []
while len(captured) < 30:
    frame = sniff.recv(65535)
    ip = frame[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    payload = ip[ihl + 8:]
    # SRTP from the browser (RFC 7983: first byte 128..191)
    if sport == bport and dport == gport and payload and 128 <= payload[0] <= 191:
        captured.append(payload)
sniff.close()


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)


def send(payload):
    """UDP from 127.0.0.1:bport to 127.0.0.1:gport, as the browser would send it."""
    src = dst = socket.inet_aton("127.0.0.1")
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", bport, gport, udp_len, 0)
    csum = checksum(pseudo + udp + payload) or 0xFFFF
    udp = struct.pack("!HHHH", bport, gport, udp_len, csum)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.randint(0, 65535), 0,
                      64, 17, 0, src, dst)
    raw.sendto(hdr + udp + payload, ("127.0.0.1", 0))


sent = {"replayed": 0, "forged": 0, "truncated": 0, "garbage": 0}
for p in captured:
    send(p)  # replay
    sent["replayed"] += 1
    f = bytearray(p)
    f[-1] ^= 0x01  # tag bit flipped
    f[3] ^= 0x40  # another sequence number: a forgery, not a replay
    send(bytes(f))
    sent["forged"] += 1
    send(p[:11])  # shorter than an RTP header
    sent["truncated"] += 1
for _ in range(100):
    g = bytearray(os.urandom(random.randint(12, 300)))
    g[0] = 0x80 | (g[0] & 0x3F)
    send(bytes(g))
    sent["garbage"] += 1
print(json.dumps(sent), flush=True)
