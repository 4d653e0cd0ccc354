# SPDX-License-Identifier: MIT
"""Watch lo for RFC 4733 telephone-event packets sent to a UDP port (the phone's RTP port) for
a while, and print the DTMF events seen, in order, as JSON: {"events": "12#", "packets": N}.
Needs root (a raw AF_PACKET socket in the test's own namespace). argv: PORT PT SECONDS [IFACE]
(IFACE: where the phone's frames pass, lo by default; the peer's veth in a DPDK lab)."""
import json
import socket
import struct
import sys
import time

port, pt, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
iface = sys.argv[4] if len(sys.argv) > 4 else "lo"
KEYS = "0123456789*#ABCD"
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sniff.bind((iface, 0))
sniff.settimeout(0.2)
print("ready", flush=True)
events, packets, last = "", 0, None
end = time.time() + seconds
while time.time() < end:
    try:
        frame = sniff.recv(65535)
    except socket.timeout:
        continue
    ip = frame[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    rtp = ip[ihl + 8:]
    if dport != port or len(rtp) < 16 or (rtp[1] & 0x7F) != pt:
        continue
    packets += 1
    ts = struct.unpack("!I", rtp[4:8])[0]
    event = rtp[12]
    # RFC 4733 §2.5: one event spans packets with the same timestamp; count it once.
    if (event, ts) != last and event < len(KEYS):
        events += KEYS[event]
        last = (event, ts)
print(json.dumps({"events": events, "packets": packets}), flush=True)
