# SPDX-License-Identifier: MIT
"""The RTCP side of a SIPp phone, which sends none (SIPp's -rtp_echo echoes RTP on its media
port, nothing on the RTCP port after it): bound to the phone's RTCP port, wait for the
gateway's RTCP (RFC 3550 §6.4: its receiver reports about the phone's stream, its sender
reports made from the browser's), then send sender reports (with an SDES CNAME, §6.1) back to
the port they came from, as a phone would, for the stream the phone sends: SIPp echoes the
gateway's RTP, so its SSRC is the one the gateway's reports name. The gateway has them when
its next receiver report about that stream carries, as LSR, the middle 32 bits of the NTP
timestamp of one of them (§6.4.1), and a DLSR that gives a round-trip time. Prints one JSON
line: {"received": N, "types": [200, 201], "from": "ADDR:PORT", "ssrc": S, "sent": M,
"lsr_echoed": K, "rtt_ms": R}.
argv: ADDRESS PORT NB_SRS SECONDS (the phone's address and RTCP port; how many SRs to send,
200 ms apart; how long to wait for the gateway's first report, and then for one that
answers ours)."""
import json
import socket
import struct
import sys
import time

addr, port, nb_srs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sock = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((addr, port))
sock.settimeout(0.1)
print("ready", flush=True)
CNAME = b"sipp-phone@test"
NTP_EPOCH = 2208988800  # RFC 5905 §6: 1900 to 1970, in seconds
received, types, source, ssrc, sent, lsrs, echoed, rtt_ms = 0, set(), None, None, 0, set(), 0, None


def ntp_now():
    now = time.time() + NTP_EPOCH
    return int(now) << 32 | int((now % 1) * (1 << 32))


def take(deadline, is_first_enough=False):
    """Read what the gateway sends until deadline, or until its first report when that is
    enough, or until a report answers one of our SRs."""
    global received, source, ssrc, echoed, rtt_ms
    while time.time() < deadline:
        try:
            pkt, frm = sock.recvfrom(2048)
        except socket.timeout:
            continue
        arrival = ntp_now()
        # §6.4.1/§6.4.2: V=2, PT 200 (SR) or 201 (RR) first in a compound.
        if len(pkt) < 8 or pkt[0] >> 6 != 2 or pkt[1] not in (200, 201):
            continue
        received += 1
        types.add(pkt[1])
        if source is None:
            source = frm
            ssrc = struct.unpack("!I", pkt[4:8])[0]
        # The report blocks: after the header and SSRC, and an SR's 20 bytes of sender info.
        off = 8 + (20 if pkt[1] == 200 else 0)
        for _ in range(pkt[0] & 0x1F):
            if off + 24 > len(pkt):
                break
            lsr, dlsr = struct.unpack("!II", pkt[off + 16:off + 24])
            if lsr in lsrs:
                echoed += 1
                # §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
                rtt_ms = round((((arrival >> 16) - lsr - dlsr) & 0xFFFFFFFF) * 1000 / 65536, 1)
            off += 24
        if is_first_enough or echoed:
            return


take(time.time() + seconds, True)
# Nothing came: no one to report to, and the JSON says so.
if source is not None:
    for i in range(nb_srs):
        ntp = ntp_now()
        lsrs.add((ntp >> 16) & 0xFFFFFFFF)
        # V=2, RC=0, PT=200, length 6 words - 1; sender info: NTP, RTP timestamp at 8 kHz,
        # packets and octets sent (§6.4.1).
        sr = struct.pack("!BBHIQIII", 0x80, 200, 6, ssrc, ntp, (ntp >> 32) * 8000 & 0xFFFFFFFF,
                         100 + 50 * i, 16000 + 8000 * i)
        chunk = struct.pack("!IBB", ssrc, 1, len(CNAME)) + CNAME + b"\0"
        chunk += b"\0" * (-len(chunk) % 4)
        sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
        sock.sendto(sr + sdes, source)
        sent += 1
        take(time.time() + 0.2)
    if not echoed:
        take(time.time() + seconds)
print(json.dumps({"received": received, "types": sorted(types),
                  "from": f"{source[0]}:{source[1]}" if source else None, "ssrc": ssrc,
                  "sent": sent, "lsr_echoed": echoed, "rtt_ms": rtt_ms}), flush=True)
