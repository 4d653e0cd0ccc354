#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed inputs for the `frame` fuzz target (fuzz_frame.c): Ethernet frames as a NIC delivers
them to the DPDK fast path, each behind the target's 5 bytes of receive metadata.

    /usr/bin/python3 tests/fuzz/gen_frame_corpus.py [DIR]   (default: tests/fuzz/corpus/frame)

Writes named seeds (valid IPv4/IPv6 UDP with RTP, RTCP and STUN payloads; 802.1Q tags in the
frame and stripped by the NIC, other VLANs, priority tags, 802.1ad, Q-in-Q; IPv4 options,
fragments, IPv6 extension headers; ARP, ICMP, TCP; every header boundary cut; wrong lengths,
versions and checksums; the NIC's checksum flags; a chained mbuf). The fuzzer's minimised
finds sit beside them under their SHA-1 names. Deterministic: the same files on every run.
"""
import os
import struct
import sys

# Metadata byte 0 (fuzz_frame.c): bit 0 VLAN stripped, bits 1-2 IP checksum flag, bits 3-4 L4
# checksum flag (0 unknown, 1 good, 2 bad, 3 none), bit 5 chained.
STRIPPED = 0x01
IP_GOOD, IP_BAD, IP_NONE = 1 << 1, 2 << 1, 3 << 1
L4_GOOD, L4_BAD, L4_NONE = 1 << 3, 2 << 3, 3 << 3
CHAINED = 0x20

PEER_MAC = bytes.fromhex("525400a1b2c3")
OUR_MAC = bytes.fromhex("02005e100001")
PEER4, OUR4 = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 1])
PEER6 = bytes.fromhex("20010db8000000000000000000000010")
OUR6 = bytes.fromhex("20010db8000000010000000000000001")


def meta(flags=0, tci=0, vlan=0):
    return struct.pack("!BHH", flags, tci, vlan)


def csum(data):
    """RFC 1071 one's complement of the one's complement sum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(payload, etype, dst=OUR_MAC, src=PEER_MAC):
    return dst + src + struct.pack("!H", etype) + payload


def vlan_tag(frame, tci, tpid=0x8100):
    """The frame with a tag inserted after its addresses."""
    return frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]


def udp4(payload, src=PEER4, dst=OUR4, sport=40000, dport=30000, ulen=None, cks=True):
    ulen = len(payload) + 8 if ulen is None else ulen
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = 0
    if cks:
        ph = src + dst + struct.pack("!BBH", 0, 17, len(payload) + 8)
        c = csum(ph + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def udp6(payload, src=PEER6, dst=OUR6, sport=40000, dport=30000, ulen=None):
    ulen = len(payload) + 8 if ulen is None else ulen
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    ph = src + dst + struct.pack("!IxxxB", len(payload) + 8, 17)
    c = csum(ph + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def ipv4(l4, proto=17, src=PEER4, dst=OUR4, options=b"", frag=0x4000, tlen=None, ihl=None,
         version=4, bad_cksum=False):
    ihl = 5 + len(options) // 4 if ihl is None else ihl
    tlen = 20 + len(options) + len(l4) if tlen is None else tlen
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, tlen, 0x1234, frag, 64, proto, 0,
                      src, dst) + options
    c = csum(hdr) ^ (0x0101 if bad_cksum else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + l4


def ipv6(l4, nh=17, src=PEER6, dst=OUR6, plen=None, version=6):
    plen = len(l4) if plen is None else plen
    return struct.pack("!IHBB16s16s", version << 28, plen, nh, 64, src, dst) + l4


def rtp(pt=0, seq=1, ts=160, ssrc=0x11223344, n=160):
    return struct.pack("!BBHII", 0x80, pt, seq, ts, ssrc) + bytes((i * 7) & 0xFF for i in range(n))


RTCP_SR = struct.pack("!BBHIIIIII", 0x80, 200, 6, 0x11223344, 0xE0000000, 0, 160, 10, 1600)
STUN = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, bytes(range(12)))


def partial_cksum(frame, off):
    """What a kernel leaves in the UDP checksum field of the datagram at off in frame for an
    offload to finish (CHECKSUM_PARTIAL): the pseudo-header's sum, not complemented."""
    ulen = frame[off + 4:off + 6]
    addrs = frame[off - 8:off] if frame[12:14] == b"\x08\x00" else frame[off - 32:off]
    return struct.pack("!H", ~csum(addrs + b"\0\x11" + ulen) & 0xFFFF)


def udp4_frame(payload=None, **kw):
    return eth(ipv4(udp4(rtp() if payload is None else payload, **kw)), 0x0800)


def udp6_frame(payload=None, **kw):
    return eth(ipv6(udp6(rtp() if payload is None else payload, **kw)), 0x86DD)


def seeds():
    s = {}
    v4, v6 = udp4_frame(), udp6_frame()
    # Valid datagrams: what the fast path exists for.
    s["ipv4-udp-rtp"] = meta() + v4
    s["ipv4-udp-rtp-nic-good"] = meta(IP_GOOD | L4_GOOD) + v4
    s["ipv4-udp-rtp-nic-none"] = meta(IP_NONE | L4_NONE) + v4
    s["ipv4-udp-rtcp-sr"] = meta() + udp4_frame(RTCP_SR, sport=40001, dport=30001)
    s["ipv4-udp-stun"] = meta() + udp4_frame(STUN)
    s["ipv4-udp-empty"] = meta() + udp4_frame(b"")
    s["ipv4-udp-no-cksum"] = meta() + udp4_frame(cks=False)
    s["ipv4-udp-1400"] = meta() + udp4_frame(rtp(n=1388))
    # The pipeline's largest packet (1984 bytes: UDP), one more (the kernel's), jumbo frames.
    s["ipv4-udp-1984"] = meta() + udp4_frame(rtp(n=1972))
    s["ipv4-udp-1985-too-big"] = meta() + udp4_frame(rtp(n=1973))
    s["ipv6-udp-8952-jumbo"] = meta() + udp6_frame(rtp(n=8940))
    # Odd lengths: the checksums' last byte is padded (RFC 1071).
    for n in (1, 3, 13):
        s["ipv4-udp-odd-%d" % n] = meta() + udp4_frame(bytes(range(0x80, 0x80 + n)))
        s["ipv6-udp-odd-%d" % n] = meta() + udp6_frame(bytes(range(0x80, 0x80 + n)))
    short = udp4_frame(b"\x80\x00")
    s["ipv4-udp-eth-padding"] = meta() + short + bytes(60 - len(short))
    s["ipv4-udp-trailing-after-udp"] = meta() + eth(ipv4(udp4(rtp(n=20), ulen=8 + 16)), 0x0800)
    s["ipv6-udp-rtp"] = meta() + v6
    s["ipv6-udp-rtp-nic-good"] = meta(L4_GOOD) + v6
    s["ipv6-udp-rtcp-sr"] = meta() + udp6_frame(RTCP_SR)
    s["ipv6-udp-empty"] = meta() + udp6_frame(b"")
    s["ipv6-udp-eth-padding"] = meta() + udp6_frame(b"") + bytes(8)

    # VLANs: the port's tag in the frame or stripped by the NIC, priority bits set, other VLANs,
    # an untagged frame on a VLAN port, priority tags, 802.1ad, Q-in-Q, tags on untagged ports.
    s["vlan42-ipv4-udp"] = meta(vlan=42) + vlan_tag(v4, 42)
    s["vlan42-ipv4-udp-pcp5"] = meta(vlan=42) + vlan_tag(v4, 5 << 13 | 42)
    s["vlan42-ipv6-udp"] = meta(vlan=42) + vlan_tag(v6, 42)
    s["vlan42-stripped-ipv4-udp"] = meta(STRIPPED, tci=42, vlan=42) + v4
    s["vlan42-stripped-ipv6-udp-pcp3"] = meta(STRIPPED, tci=3 << 13 | 42, vlan=42) + v6
    s["vlan42-stripped-wrong-vlan"] = meta(STRIPPED, tci=43, vlan=42) + v4
    s["vlan42-other-vlan"] = meta(vlan=42) + vlan_tag(v4, 43)
    s["vlan42-untagged"] = meta(vlan=42) + v4
    s["vlan42-priority-tag"] = meta(vlan=42) + vlan_tag(v4, 6 << 13)
    s["vlan42-qinq-8021ad"] = meta(vlan=42) + vlan_tag(vlan_tag(v4, 42), 42, tpid=0x88A8)
    s["vlan42-qinq-inner-tag"] = meta(vlan=42) + vlan_tag(vlan_tag(v4, 7), 42)
    s["vlan42-stripped-inner-tag"] = meta(STRIPPED, tci=42, vlan=42) + vlan_tag(v4, 42)
    s["vlan4095-ipv4-udp"] = meta(vlan=4095) + vlan_tag(v4, 4095)
    s["untagged-port-8021q"] = meta() + vlan_tag(v4, 42)
    s["untagged-port-8021ad"] = meta() + vlan_tag(v4, 42, tpid=0x88A8)
    s["vlan42-chained"] = meta(CHAINED, vlan=42) + vlan_tag(v4, 42)

    # The kernel's: IPv4 options, fragments, extension headers, other protocols.
    s["ipv4-options-udp"] = meta() + eth(ipv4(udp4(rtp()), options=b"\x94\x04\0\0"), 0x0800)
    s["ipv4-options-max"] = meta() + eth(ipv4(udp4(rtp()), options=b"\x01" * 40), 0x0800)
    s["ipv4-frag-first"] = meta() + eth(ipv4(udp4(rtp()), frag=0x2000), 0x0800)
    s["ipv4-frag-last"] = meta() + eth(ipv4(rtp(n=40), frag=0x0010), 0x0800)
    # A later fragment whose bytes happen to look like a UDP header: the offset alone says
    # it is a fragment (RFC 791 §3.2).
    s["ipv4-frag-offset-udp-like"] = meta() + eth(ipv4(udp4(rtp()), frag=0x4001), 0x0800)
    s["ipv4-frag-options"] = meta() + eth(ipv4(rtp(n=40), frag=0x2000, options=b"\1" * 4),
                                          0x0800)
    frag6 = struct.pack("!BBHI", 17, 0, 0x0001, 0xABCD) + udp6(rtp())
    s["ipv6-frag-header"] = meta() + eth(ipv6(frag6, nh=44), 0x86DD)
    hbh = struct.pack("!BB", 17, 0) + b"\x01\x04\0\0\0\0" + udp6(rtp())
    s["ipv6-hop-by-hop"] = meta() + eth(ipv6(hbh, nh=0), 0x86DD)
    rh = struct.pack("!BBBB", 17, 0, 0, 0) + bytes(4) + udp6(rtp())
    s["ipv6-routing-header"] = meta() + eth(ipv6(rh, nh=43), 0x86DD)
    s["ipv4-icmp-echo"] = meta() + eth(ipv4(b"\x08\0\xf7\xff\0\0\0\0", proto=1), 0x0800)
    s["ipv4-tcp-syn"] = meta() + eth(ipv4(struct.pack("!HHIIBBHHH", 5060, 5060, 1, 0, 0x50, 2,
                                                       65535, 0, 0), proto=6), 0x0800)
    s["ipv6-icmpv6-ns"] = meta() + eth(ipv6(bytes([135, 0, 0, 0]) + bytes(4) + OUR6, nh=58),
                                       0x86DD, dst=bytes.fromhex("3333ff000001"))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC, PEER4, bytes(6), OUR4)
    s["arp-request"] = meta() + eth(arp, 0x0806, dst=b"\xff" * 6)
    s["arp-reply"] = meta() + eth(arp[:7] + b"\x02" + arp[8:], 0x0806)
    s["lldp"] = meta() + eth(bytes(46), 0x88CC, dst=bytes.fromhex("0180c200000e"))
    s["chained-ipv4-udp"] = meta(CHAINED) + v4

    # Cut at every header boundary (and one byte either side).
    cuts4 = (0, 1, 6, 12, 13, 14, 15, 33, 34, 35, 41, 42, 43, 54)
    for n in cuts4:
        s["cut-ipv4-udp-%d" % n] = meta() + v4[:n]
    for n in (14, 15, 53, 54, 55, 61, 62, 63):
        s["cut-ipv6-udp-%d" % n] = meta() + v6[:n]
    t = vlan_tag(v4, 42)
    for n in (13, 14, 15, 16, 17, 18, 19, 31, 32, 38, 46):
        s["cut-vlan42-ipv4-udp-%d" % n] = meta(vlan=42) + t[:n]
    for n in (0, 13, 33):
        s["cut-vlan42-stripped-%d" % n] = meta(STRIPPED, tci=42, vlan=42) + v4[:n]

    # Wrong lengths, versions and checksums.
    r = rtp()
    s["ipv4-tlen-beyond-frame"] = meta() + eth(ipv4(udp4(r), tlen=20 + 8 + len(r) + 1), 0x0800)
    s["ipv4-tlen-below-ihl"] = meta() + eth(ipv4(udp4(r), tlen=19), 0x0800)
    s["ipv4-tlen-zero"] = meta() + eth(ipv4(udp4(r), tlen=0), 0x0800)
    s["ipv4-ihl-4"] = meta() + eth(ipv4(udp4(r), ihl=4), 0x0800)
    s["ipv4-ihl-4-nic-good"] = meta(IP_GOOD) + eth(ipv4(udp4(r), ihl=4), 0x0800)
    s["ipv4-ihl-15-short"] = meta() + eth(ipv4(udp4(b"")[:8], ihl=15, tlen=28), 0x0800)
    s["ipv4-tlen-cuts-udp-header"] = meta() + eth(ipv4(udp4(r), tlen=20 + 7), 0x0800)
    s["ipv4-udp-len-7"] = meta() + udp4_frame(ulen=7)
    s["ipv4-udp-len-beyond-ip"] = meta() + udp4_frame(ulen=8 + len(r) + 1)
    s["ipv4-udp-len-zero"] = meta() + udp4_frame(ulen=0)
    s["ipv4-version-6"] = meta() + eth(ipv4(udp4(r), version=6), 0x0800)
    s["ipv4-in-ipv6-ethertype"] = meta() + eth(ipv4(udp4(r)), 0x86DD)
    s["ipv6-in-ipv4-ethertype"] = meta() + eth(ipv6(udp6(r)), 0x0800)
    s["ipv6-plen-beyond-frame"] = meta() + eth(ipv6(udp6(r), plen=len(r) + 9), 0x86DD)
    s["ipv6-plen-7"] = meta() + eth(ipv6(udp6(r), plen=7), 0x86DD)
    s["ipv6-plen-zero"] = meta() + eth(ipv6(udp6(r), plen=0), 0x86DD)
    s["ipv6-udp-len-beyond-ip"] = meta() + udp6_frame(ulen=8 + len(r) + 1)
    s["ipv6-version-4"] = meta() + eth(ipv6(udp6(r), version=4), 0x86DD)
    bad = eth(ipv4(udp4(r), bad_cksum=True), 0x0800)
    s["ipv4-bad-hdr-cksum"] = meta() + bad
    s["ipv4-bad-hdr-cksum-nic-good"] = meta(IP_GOOD) + bad
    s["ipv4-bad-hdr-cksum-nic-none"] = meta(IP_NONE) + bad
    s["ipv4-nic-ip-bad"] = meta(IP_BAD) + v4
    s["ipv4-nic-l4-bad"] = meta(L4_BAD) + v4
    s["ipv6-nic-l4-bad"] = meta(L4_BAD) + v6
    wrong = bytearray(v4)
    wrong[14 + 20 + 6] ^= 0xFF
    s["ipv4-bad-udp-cksum-nic-unknown"] = meta() + bytes(wrong)
    # The UDP checksum verified in software (the NIC said nothing): a payload byte flipped, a
    # zero checksum over IPv6, and a veth peer's CHECKSUM_PARTIAL (the field holding the
    # pseudo-header's sum, as its kernel leaves it for an offload), taken and completed.
    for name, f, off in (("ipv4", v4, 14 + 20), ("ipv6", v6, 14 + 40)):
        flip = bytearray(f)
        flip[off + 8 + 12] ^= 0x01
        s["%s-udp-payload-flipped-nic-unknown" % name] = meta() + bytes(flip)
        flip[off + 6:off + 8] = partial_cksum(f, off)
        s["%s-udp-cksum-partial" % name] = meta() + bytes(flip)
        s["%s-udp-cksum-partial-vlan42" % name] = meta(vlan=42) + vlan_tag(bytes(flip), 42)
    zero6 = bytearray(v6)
    zero6[14 + 40 + 6:14 + 40 + 8] = b"\0\0"
    s["ipv6-udp-zero-cksum"] = meta() + bytes(zero6)

    # What the kernel sends out (dpdk_parse_egress): multicast and broadcast next hops.
    s["egress-ipv4-broadcast-mac"] = meta() + eth(ipv4(udp4(r)), 0x0800, dst=b"\xff" * 6)
    s["egress-ipv6-multicast-dst"] = meta() + eth(
        ipv6(udp6(r, dst=bytes.fromhex("ff020000000000000000000000000001")),
             dst=bytes.fromhex("ff020000000000000000000000000001")), 0x86DD)
    s["egress-ipv4-short-keepalive"] = meta() + eth(ipv4(b"", proto=17)[:20], 0x0800)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              "corpus", "frame")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
