# SPDX-License-Identifier: MIT
"""Watch lo for the media of a SIP phone whose RTP/RTCP ports are in PORT_MIN..PORT_MAX, for a
while, and print what the packets show, as JSON: per direction (to_phone, from_phone) the
number of RTP packets, the histogram of "payload length - 160" of the PCMU (payload type 0)
ones (a 20 ms PCMU frame is 160 bytes: what is left is the SRTP authentication tag, RFC 3711
§3.1, or 0 for plain RTP), the number of RTCP packets and how many of them have the SRTCP E
flag set (RFC 3711 §3.4: encrypted) where a 10-byte SRTCP tag would put it.
Needs root (a raw AF_PACKET socket in the test's own namespace). argv: PORT_MIN PORT_MAX
SECONDS."""
import json
import socket
import struct
import sys
import time

port_min, port_max, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sniff.bind(("lo", 0))
sniff.settimeout(0.2)


def side():
    return {"rtp": 0, "pcmu_extra": {}, "rtcp": 0, "rtcp_e": 0}


seen = {"to_phone": side(), "from_phone": side()}
print("ready", flush=True)
end = time.time() + seconds
while time.time() < end:
    try:
        frame, addr = sniff.recvfrom(65535)
    except socket.timeout:
        continue
    # lo shows each datagram once as outgoing (pkttype 4): count that copy only.
    if addr[2] != socket.PACKET_OUTGOING:
        continue
    ip = frame[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    pkt = ip[ihl + 8:]
    if port_min <= dport <= port_max:
        s = seen["to_phone"]
    elif port_min <= sport <= port_max:
        s = seen["from_phone"]
    else:
        continue
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        continue
    if 200 <= pkt[1] <= 204:  # RFC 5761 §4: an RTCP packet type
        s["rtcp"] += 1
        if len(pkt) >= 8 + 14 and pkt[-14] & 0x80:
            s["rtcp_e"] += 1
        continue
    s["rtp"] += 1
    if pkt[1] & 0x7F == 0:
        hdr = 12 + 4 * (pkt[0] & 15)
        if pkt[0] & 0x10 and len(pkt) >= hdr + 4:
            hdr += 4 + 4 * struct.unpack("!H", pkt[hdr + 2:hdr + 4])[0]
        extra = str(len(pkt) - hdr - 160)
        s["pcmu_extra"][extra] = s["pcmu_extra"].get(extra, 0) + 1
print(json.dumps(seen), flush=True)
