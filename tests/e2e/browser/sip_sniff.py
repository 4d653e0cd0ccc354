# SPDX-License-Identifier: MIT
"""Watch an interface for SIP over UDP to and from a port (the gateway's SIP port), and print
the start lines seen, in order, as JSON once done: {"to_port": ["MESSAGE sip:... SIP/2.0", ...],
"from_port": ["SIP/2.0 200 OK", ...]}. Done after SECONDS, or earlier when stdin closes. Prints
"ready" once it listens. Needs root (a raw AF_PACKET socket). argv: IFACE PORT SECONDS.
message.mjs runs it in the DPDK lab's gateway namespace on the exception interface (the TAP):
what it sees there went through the exception path, between the NIC and the kernel."""
import json
import os
import select
import socket
import struct
import sys
import time

iface, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sniff.bind((iface, 0))
print("ready", flush=True)
seen = {"to_port": [], "from_port": []}
end = time.time() + seconds
watch = [sniff, sys.stdin]
while time.time() < end:
    ready, _, _ = select.select(watch, [], [], max(0.0, end - time.time()))
    if sys.stdin in ready:
        if os.read(sys.stdin.fileno(), 4096) == b"":
            break
    if sniff not in ready:
        continue
    frame = sniff.recv(65535)
    if len(frame) < 14 or frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    # A later fragment has no UDP header, and no start line.
    if struct.unpack("!H", ip[6:8])[0] & 0x1FFF:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    line = ip[ihl + 8:].split(b"\r\n", 1)[0].decode("utf-8", "replace")
    if dport == port:
        seen["to_port"].append(line)
    elif sport == port:
        seen["from_port"].append(line)
print(json.dumps(seen), flush=True)
