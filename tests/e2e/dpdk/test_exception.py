# SPDX-License-Identifier: MIT
"""The DPDK backend's exception path, end to end: Ponte runs on DPDK in a lab of
tools/lab-dpdk (its NIC a veth through net_af_xdp, its address on the TAP exception
interface), and a peer in the other namespace reaches it as it would any host. net_af_xdp
rather than net_af_packet here: the latter's socket fanout reassembles IP fragments before
DPDK sees them (PACKET_FANOUT_FLAG_DEFRAG), so fragments could not be shown to go to the
kernel; the browser test (run.sh with PONTE_E2E_DPDK=1) covers net_af_packet.

Proves: ARP and ping (IPv4) and neighbour discovery and ping (IPv6) are answered by the
gateway's kernel through the TAP; a ping too big for one frame arrives in IP fragments, which
the fast path hands to the kernel (counted) and the kernel reassembles; HTTP /status (TCP) and
SIP OPTIONS (UDP to the control plane's socket) are answered; frames crafted on the wire with
a bad IPv4 header checksum, cut short, or carrying IPv4 options are dropped or handed to the
kernel and counted by reason; /status shows the lcore's counters; `lab-dpdk down` leaves no
namespace and no /var/run/dpdk directory behind.

    test_exception.py PONTE LAB_SCRIPT
Run as root with Debian's /usr/bin/python3."""
import json
import os
import socket
import struct
import subprocess
import sys
import time
import uuid

PASSED = 0
FAILED = 0
GW4, GW6, PEER4 = "10.77.0.1", "fd77::1", "10.77.0.2"


def check(cond, what, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print(f"ok {PASSED + FAILED} - {what}", flush=True)
    else:
        FAILED += 1
        print(f"not ok {PASSED + FAILED} - {what} {detail}", flush=True)
    return cond


# ---- run inside the peer namespace (this file again, with a verb) ----

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(addr, size=16):
    """One ICMP echo through a raw socket: True when its reply comes within 2 s."""
    v6 = ":" in addr
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        req, rep = 128, 129
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        # Fragment what does not fit (raw sockets refuse it otherwise).
        s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER, IP_PMTUDISC_DONT
        req, rep = 8, 0
    ident = os.getpid() & 0xFFFF
    payload = bytes(i & 0xFF for i in range(size))
    pkt = struct.pack("!BBHHH", req, 0, 0, ident, 7) + payload
    if not v6:  # the kernel computes ICMPv6 checksums, not ICMPv4 ones
        pkt = struct.pack("!BBHHH", req, 0, csum(pkt), ident, 7) + payload
    s.settimeout(2)
    s.sendto(pkt, (addr, 0))
    end = time.time() + 2
    while time.time() < end:
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            return False
        icmp = data if v6 else data[(data[0] & 0xF) * 4:]
        if icmp[0] == rep and struct.unpack("!H", icmp[4:6])[0] == ident:
            return icmp[8:] == payload
    return False


def sip_options():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER4, 0))
    port = s.getsockname()[1]
    msg = (f"OPTIONS sip:{GW4}:5060 SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {PEER4}:{port};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
           f"From: <sip:lab@{PEER4}>;tag=1\r\nTo: <sip:{GW4}>\r\n"
           f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n")
    s.settimeout(3)
    s.sendto(msg.encode(), (GW4, 5060))
    try:
        return s.recv(4096).decode(errors="replace").split("\r\n")[0]
    except socket.timeout:
        return "(no answer)"


def ipv4(proto, payload, options=b"", ihl=None, bad_sum=False, tot=None):
    hlen = 20 + len(options)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl or hlen // 4), 0, tot or hlen + len(payload),
                    0x1234, 0, 64, proto, 0, socket.inet_aton(PEER4), socket.inet_aton(GW4))
    h += options
    s = csum(h) ^ (0x5A5A if bad_sum else 0)
    return h[:10] + struct.pack("!H", s) + h[12:] + payload


def frames(iface):
    """Crafted frames onto the wire: a bad IPv4 header checksum, one cut inside its IPv4
    header, and one with IPv4 options (four NOPs) carrying a UDP datagram to the SIP port."""
    gw_mac = None
    for line in open("/proc/net/arp"):
        f = line.split()
        if f[0] == GW4:
            gw_mac = bytes.fromhex(f[3].replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    me = s.getsockname()[4]
    eth = gw_mac + me + b"\x08\x00"
    udp = struct.pack("!HHHH", 40000, 5060, 8 + 4, 0) + b"ping"
    s.send(eth + ipv4(17, udp, bad_sum=True))
    s.send(eth + ipv4(17, udp)[:12])
    s.send(eth + ipv4(17, udp, options=b"\x01\x01\x01\x01"))
    print("sent", flush=True)


def status():
    import urllib.request
    with urllib.request.urlopen(f"http://{GW4}:8080/status", timeout=3) as r:
        print(r.read().decode())


def inside(verb, *args):
    if verb == "ping":
        print(json.dumps(ping(args[0], int(args[1]) if len(args) > 1 else 16)))
    elif verb == "sip":
        print(sip_options())
    elif verb == "frames":
        frames(args[0])
    elif verb == "status":
        status()


# ---- the test, from the root namespace ----

def in_peer(lab_id, *args):
    r = subprocess.run(["ip", "netns", "exec", f"ponte-{lab_id}-peer", "/usr/bin/python3",
                        os.path.abspath(__file__), "--inside", *args],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def lcore(lab_id):
    st = json.loads(in_peer(lab_id, "status") or "{}")
    dp = st.get("dataplane", {})
    return dp, (dp.get("lcores") or [{}])[0]


def main(ponte, lab):
    lab_id = "x" + uuid.uuid4().hex[:6]
    up = subprocess.run([lab, "up", "-p", ponte, "-i", lab_id, "--xdp"], capture_output=True,
                        text=True, timeout=60)
    try:
        if not check(up.returncode == 0, "the lab comes up: Ponte on DPDK answers /status "
                     "from the peer (ARP, TCP and HTTP through the exception path)",
                     up.stdout + up.stderr):
            return
        dp, l0 = lcore(lab_id)
        check(dp.get("backend") == "dpdk" and l0.get("to_kernel", 0) > 0
              and l0.get("from_kernel", 0) > 0,
              "/status: backend dpdk, the lcore counts frames to and from the kernel", l0)
        check(in_peer(lab_id, "ping", GW4) == "true", "ping 10.77.0.1 answered through the TAP")
        check(in_peer(lab_id, "ping", GW6) == "true",
              "ping fd77::1 answered (neighbour discovery and ICMPv6 through the TAP)")
        before = l0.get("fragments", 0)
        check(in_peer(lab_id, "ping", GW4, "3000") == "true",
              "a 3000-byte ping, in fragments, is reassembled by the kernel and answered")
        _, l0 = lcore(lab_id)
        check(l0.get("fragments", 0) - before >= 3,
              f"the fast path handed the fragments to the kernel ({l0.get('fragments')})")
        answer = in_peer(lab_id, "sip", "")
        check(answer.startswith("SIP/2.0 200"),
              "SIP OPTIONS over UDP reaches the control plane's socket and is answered",
              answer)
        _, before = lcore(lab_id)
        check(in_peer(lab_id, "frames", f"{lab_id}-p") == "sent", "craft frames on the wire")
        time.sleep(0.3)
        _, after = lcore(lab_id)
        delta = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
        check(delta["bad_checksum"] == 1, "a bad IPv4 header checksum: dropped, counted",
              delta)
        check(delta["truncated"] == 1, "a frame cut inside its IPv4 header: dropped, counted",
              delta)
        check(after["ip_options"] - before["ip_options"] == 1,
              "IPv4 options: handed to the kernel, counted")
        check(after["fast_pkts"] == 0 and after["no_flow"] == 0,
              "no media, no flow: nothing through the pipeline")
    finally:
        subprocess.run([lab, "down", "-i", lab_id], timeout=30)
        names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        check(f"ponte-{lab_id}-" not in names, "lab-dpdk down deletes the namespaces")
        check(not os.path.exists(f"/var/run/dpdk/ponte-lab-{lab_id}"),
              "nothing is left in /var/run/dpdk")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        inside(*sys.argv[2:])
    else:
        if os.geteuid() != 0:
            print("1..0 # SKIP needs root (ip netns)")
            sys.exit(77)
        if not any(os.access(os.path.join(d, "ethtool"), os.X_OK)
                   for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]):
            print("1..0 # SKIP the DPDK lab needs ethtool (apt-get install -y ethtool)")
            sys.exit(77)
        main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
        print(f"{PASSED} passed, {FAILED} failed", flush=True)
        sys.exit(0 if FAILED == 0 and PASSED > 0 else 1)
