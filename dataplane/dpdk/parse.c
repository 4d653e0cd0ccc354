/* SPDX-License-Identifier: MIT */
#include "parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define UDP_HDR_LEN 8
#define IPV4_MIN_HDR_LEN 20
#define IPV6_HDR_LEN 40

/*
 * The one's complement sum of RFC 1071 over len bytes at p, folded to 16 bits: what
 * rte_raw_cksum() returns (16-bit words in host order, an odd last byte as if a zero followed
 * it), eight bytes a step instead of two. The fold is the same for any word width (2^16 is 1
 * modulo 0xffff), and as with rte_raw_cksum() only all zeros sum to 0. It is the UDP checksum
 * of every packet a port without the offload sends (the ring PMDs, af_packet), where the
 * two-byte loop was most of dpdk_build().
 */
static uint16_t sum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t lo = 0, hi = 0, lo2 = 0, hi2 = 0, v, v2;

	/* Sixteen bytes a step into four sums: four independent chains of additions, which
	 * the core runs side by side (the UDP checksum of each received datagram is verified
	 * here where the NIC does not: 60 ns rather than 100 for 1,200 bytes of RTP here). */
	for (; len >= 16; b += 16, len -= 16) {
		memcpy(&v, b, 8);
		memcpy(&v2, b + 8, 8);
		lo += (uint32_t)v;
		hi += v >> 32;
		lo2 += (uint32_t)v2;
		hi2 += v2 >> 32;
	}
	lo += lo2;
	hi += hi2;
	if (len >= 8) {
		memcpy(&v, b, 8);
		lo += (uint32_t)v;
		hi += v >> 32;
		b += 8;
		len -= 8;
	}
	/* The tail by pieces at even offsets, as loads of their own size: copied to a word on
	 * the stack, they made byte stores that the word's load then waited for. */
	if (len & 4) {
		uint32_t w;

		memcpy(&w, b, 4);
		lo += w;
		b += 4;
	}
	if (len & 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		lo += w;
		b += 2;
	}
	if (len & 1)
		lo += RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? *b : (uint32_t)*b << 8;
	lo += hi; /* no overflow: at most 2^29 words of 2^32 - 1 each, a 64 KiB datagram */
	lo = (lo & 0xffffffff) + (lo >> 32);
	lo = (lo & 0xffffffff) + (lo >> 32);
	lo = (lo & 0xffff) + (lo >> 16);
	lo = (lo & 0xffff) + (lo >> 16);
	return (uint16_t)lo;
}

/* The UDP checksum field from the pseudo-header's folded sum and the datagram's (its checksum
 * field 0): rte_ipv4_udptcp_cksum()'s and rte_ipv6_udptcp_cksum()'s result, 0 sent as all ones
 * (RFC 768). */
static uint16_t udp_cksum(uint16_t phdr, const struct rte_udp_hdr *u, size_t len)
{
	uint32_t sum = (uint32_t)phdr + sum16(u, len);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	return sum == 0 ? 0xffff : (uint16_t)sum;
}

static void verdict(struct dpdk_pkt *p, enum dpdk_verdict v, unsigned reason)
{
	p->verdict = (uint8_t)v;
	p->reason = (uint8_t)reason;
}

static void set_addr(struct ponte_addr *a, uint16_t family, const void *ip, uint16_t port_be)
{
	a->family = family;
	a->port = rte_be_to_cpu_16(port_be);
	memset(a->ip, 0, sizeof(a->ip));
	memcpy(a->ip, ip, family == AF_INET ? 4 : 16);
}

/*
 * Whether the UDP datagram at u (ulen bytes, header included; its addresses at addrs, source
 * then destination, as IPv4 and IPv6 both lay them out) carries a right checksum (RFC 768,
 * RFC 8200 §8.1). A zero field over IPv4 is "no checksum" (RFC 768); over IPv6 it is invalid.
 *
 * A field equal to the pseudo-header's own sum is a checksum the sender's kernel left to an
 * offload that never ran (CHECKSUM_PARTIAL): a veth or TAP peer with transmit checksum
 * offload on hands its frames over this way, and net_af_packet passes them on as they are
 * (TP_STATUS_CSUMNOTREADY, which it does not report). Such a datagram is taken as unchecked,
 * not corrupt: the checksum is completed here, in the frame, so that the kernel behind the
 * exception port takes it too, and p->is_cksum_partial says so (counted udp_cksum_partial).
 * A corrupted datagram has that field by chance once in 65,535.
 */
static bool udp_cksum_ok(struct rte_udp_hdr *u, uint16_t ulen, uint16_t family, const void *addrs,
			 struct dpdk_pkt *p)
{
	uint16_t field = u->dgram_cksum;
	uint64_t phdr;
	uint32_t sum;

	if (field == 0)
		return family == AF_INET;
	/* The pseudo-header: both addresses, the protocol and the UDP length (not the IP
	 * layer's: bytes after the datagram are no part of it), as 16-bit words in memory
	 * order, which is how sum16() reads the rest. */
	phdr = (uint64_t)sum16(addrs, family == AF_INET ? 8 : 32) +
	       rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16(ulen);
	phdr = (phdr & 0xffff) + (phdr >> 16);
	phdr = (phdr & 0xffff) + (phdr >> 16);
	sum = (uint32_t)phdr + sum16(u, ulen);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (sum == 0xffff)
		return true;
	if (field != (uint16_t)phdr)
		return false;
	/* The datagram's sum without the field (one's complement subtraction), then the
	 * checksum it should have had, 0 sent as all ones. */
	sum += (uint16_t)~field;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	u->dgram_cksum = (uint16_t)~sum == 0 ? 0xffff : (uint16_t)~sum;
	p->is_cksum_partial = 1;
	return true;
}

/* The UDP header at off, whose datagram (header included) the IP layer says is ip_len bytes. */
static void parse_udp(struct rte_mbuf *m, struct dpdk_pkt *p, uint16_t off, uint32_t ip_len,
		      uint16_t family, const void *sip, const void *dip)
{
	struct rte_udp_hdr *u;
	uint16_t ulen;

	if (ip_len < UDP_HDR_LEN) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_TRUNCATED);
		return;
	}
	u = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, off);
	ulen = rte_be_to_cpu_16(u->dgram_len);
	/* RFC 768: the length covers header and data; it may not claim more than IP carried. A
	 * shorter one leaves trailing bytes that are no part of the datagram. */
	if (ulen < UDP_HDR_LEN || ulen > ip_len) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_LENGTH);
		return;
	}
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_UDP_CHECKSUM);
		return;
	case RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN:
		/* The NIC said nothing (net_af_packet, net_memif, rings): ours to check. */
		if (!udp_cksum_ok(u, ulen, family, sip, p)) {
			verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_UDP_CHECKSUM);
			return;
		}
		break;
	default: /* GOOD, or NONE: the data verified, the field not filled in */
		break;
	}
	set_addr(&p->src, family, sip, u->src_port);
	set_addr(&p->dst, family, dip, u->dst_port);
	if (ulen - UDP_HDR_LEN > DPDK_MEDIA_MAX) {
		/* Larger than any packet the pipeline takes (a jumbo frame's): the kernel's,
		 * checked all the same, with its addresses for the owned range's check. */
		verdict(p, DPKT_KERNEL, DPKT_K_TOO_BIG);
		return;
	}
	p->payload_off = (uint16_t)(off + UDP_HDR_LEN);
	p->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	verdict(p, DPKT_UDP, 0);
}

/* RFC 791 §3.1. The frame from off on is avail bytes. */
static void parse_ipv4(struct rte_mbuf *m, struct dpdk_pkt *p, uint16_t off, uint32_t avail)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t hlen, tlen;

	if (avail < IPV4_MIN_HDR_LEN) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_TRUNCATED);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if ((ip->version_ihl >> 4) != 4) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_VERSION);
		return;
	}
	hlen = (ip->version_ihl & 0x0fu) * 4u;
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (hlen < IPV4_MIN_HDR_LEN || tlen < hlen || tlen > avail) {
		verdict(p, DPKT_DROP,
			hlen > avail ? PONTE_DP_DROP_TRUNCATED : PONTE_DP_DROP_BAD_LENGTH);
		return;
	}
	/* The NIC's word where it gave one: GOOD, or NONE (the header's integrity verified,
	 * its checksum field not filled in, as virtio does); checked here when it gave none. */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN &&
	     rte_raw_cksum(ip, hlen) != 0xffff)) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_CHECKSUM);
		return;
	}
	/* Ethernet pads short frames: what follows the datagram is not part of it. */
	if (tlen < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tlen));
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		verdict(p, DPKT_KERNEL, DPKT_K_FRAGMENT);
		return;
	}
	if (hlen != IPV4_MIN_HDR_LEN) {
		verdict(p, DPKT_KERNEL, DPKT_K_OPTIONS);
		return;
	}
	if (ip->next_proto_id != IPPROTO_UDP) {
		verdict(p, DPKT_KERNEL, DPKT_K_OTHER);
		return;
	}
	parse_udp(m, p, (uint16_t)(off + hlen), tlen - hlen, AF_INET, &ip->src_addr, &ip->dst_addr);
}

/* RFC 8200 §3. Any extension header (a fragment header included) is the kernel's. */
static void parse_ipv6(struct rte_mbuf *m, struct dpdk_pkt *p, uint16_t off, uint32_t avail)
{
	const struct rte_ipv6_hdr *ip;
	uint32_t plen;

	if (avail < IPV6_HDR_LEN) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_TRUNCATED);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, off);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_VERSION);
		return;
	}
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (plen > avail - IPV6_HDR_LEN) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_BAD_LENGTH);
		return;
	}
	if (plen < avail - IPV6_HDR_LEN)
		rte_pktmbuf_trim(m, (uint16_t)(avail - IPV6_HDR_LEN - plen));
	if (ip->proto != IPPROTO_UDP) {
		verdict(p, DPKT_KERNEL,
			ip->proto == IPPROTO_FRAGMENT ? DPKT_K_FRAGMENT : DPKT_K_OTHER);
		return;
	}
	parse_udp(m, p, (uint16_t)(off + IPV6_HDR_LEN), plen, AF_INET6, ip->src_addr, ip->dst_addr);
}

/* A frame for a port on VLAN vlan (IEEE 802.1Q §9): -1 when it carries that VLAN id, which it
 * then no longer does (the tag out of the frame, the NIC's flags cleared), else the reason to
 * drop it (enum ponte_dp_frame_drop). The priority and DEI bits are not looked at. */
static int vlan_take(struct rte_mbuf *m, uint16_t vlan)
{
	uint16_t tci;

	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		tci = m->vlan_tci;
	} else {
		uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
		const struct rte_vlan_hdr *vh;

		if (m->data_len < RTE_ETHER_HDR_LEN)
			return PONTE_DP_DROP_TRUNCATED;
		/* Untagged frames and 802.1ad ones (an S-tag outside) are no frames of this
		 * port's VLAN; priority-tagged ones (VLAN 0) fail below, as other VLANs' do. */
		if (((const struct rte_ether_hdr *)eth)->ether_type !=
		    rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
			return PONTE_DP_DROP_WRONG_VLAN;
		if (m->data_len < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
			return PONTE_DP_DROP_TRUNCATED;
		vh = (const struct rte_vlan_hdr *)(eth + RTE_ETHER_HDR_LEN);
		tci = rte_be_to_cpu_16(vh->vlan_tci);
		/* The addresses move over the tag (12 bytes, not the whole frame); the inner
		 * EtherType is where an untagged frame has its own. */
		memmove(eth + RTE_VLAN_HLEN, eth, 2 * RTE_ETHER_ADDR_LEN);
		rte_pktmbuf_adj(m, RTE_VLAN_HLEN);
	}
	if ((tci & 0x0fffu) != vlan)
		return PONTE_DP_DROP_WRONG_VLAN;
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	m->vlan_tci = 0;
	return -1;
}

void dpdk_parse(struct rte_mbuf *m, uint16_t vlan, struct dpdk_pkt *p)
{
	const struct rte_ether_hdr *eth;
	uint16_t type;
	int reason;

	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	p->payload_off = p->payload_len = 0;
	p->is_cksum_partial = 0;
	if (vlan != 0 && (reason = vlan_take(m, vlan)) >= 0) {
		verdict(p, DPKT_DROP, (unsigned)reason);
		return;
	}
	if (m->nb_segs != 1) {
		/* Media never needs more than one segment; the kernel takes jumbo frames. */
		verdict(p, DPKT_KERNEL, DPKT_K_OTHER);
		return;
	}
	if (m->data_len < RTE_ETHER_HDR_LEN) {
		verdict(p, DPKT_DROP, PONTE_DP_DROP_TRUNCATED);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	rte_ether_addr_copy(&eth->src_addr, &p->src_mac);
	type = rte_be_to_cpu_16(eth->ether_type);
	/* On an untagged port, VLAN-tagged frames (802.1Q, 802.1ad) go to the kernel, which
	 * may run a VLAN interface on the exception port; on a port with a VLAN, a tag left
	 * here is an inner one (Q-in-Q), the kernel's too. */
	if (type == RTE_ETHER_TYPE_IPV4)
		parse_ipv4(m, p, RTE_ETHER_HDR_LEN, m->data_len - RTE_ETHER_HDR_LEN);
	else if (type == RTE_ETHER_TYPE_IPV6)
		parse_ipv6(m, p, RTE_ETHER_HDR_LEN, m->data_len - RTE_ETHER_HDR_LEN);
	else
		verdict(p, DPKT_KERNEL, DPKT_K_OTHER);
}

bool dpdk_parse_egress(const struct rte_mbuf *m, struct ponte_addr *dst,
		       struct rte_ether_addr *dst_mac)
{
	const struct rte_ether_hdr *eth;
	uint16_t type;

	/* Each family's own header length: a short IPv4 frame (a SIP keep-alive, an ICMP echo
	 * reply) teaches the next hop as well as a long one. */
	if (m->data_len < RTE_ETHER_HDR_LEN + IPV4_MIN_HDR_LEN)
		return false;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_unicast_ether_addr(&eth->dst_addr))
		return false;
	type = rte_be_to_cpu_16(eth->ether_type);
	memset(dst, 0, sizeof(*dst));
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

		if ((ip->version_ihl >> 4) != 4)
			return false;
		dst->family = AF_INET;
		memcpy(dst->ip, &ip->dst_addr, 4);
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(eth + 1);

		if (m->data_len < RTE_ETHER_HDR_LEN + IPV6_HDR_LEN ||
		    (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || ip->dst_addr[0] == 0xff)
			return false;
		dst->family = AF_INET6;
		memcpy(dst->ip, ip->dst_addr, 16);
	} else {
		return false;
	}
	rte_ether_addr_copy(&eth->dst_addr, dst_mac);
	return true;
}

int dpdk_build(struct rte_mbuf *m, const struct ponte_addr *src, const struct ponte_addr *dst,
	       const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac,
	       const struct dpdk_tx_offload *off)
{
	uint16_t plen = rte_pktmbuf_data_len(m);
	uint16_t l3_len = src->family == AF_INET ? IPV4_MIN_HDR_LEN : IPV6_HDR_LEN;
	/* A VLAN's tag: the port's to insert, or ours to write (l2_len then covers it, as the
	 * checksum offloads want). */
	bool is_tag_here = off->vlan != 0 && !off->has_vlan_insert;
	uint16_t l2_len = RTE_ETHER_HDR_LEN + (is_tag_here ? RTE_VLAN_HLEN : 0);
	uint16_t type = src->family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *u;
	uint8_t *l3;

	if (src->family != dst->family || (src->family != AF_INET && src->family != AF_INET6))
		return -EAFNOSUPPORT;
	if ((uint32_t)plen + UDP_HDR_LEN + l3_len > 65535)
		return -EMSGSIZE;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, l2_len + l3_len + UDP_HDR_LEN);
	if (eth == NULL)
		return -ENOSPC;
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	m->l2_len = l2_len;
	m->l3_len = l3_len;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	if (is_tag_here) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(off->vlan);
		vh->eth_proto = rte_cpu_to_be_16(type);
	} else {
		eth->ether_type = rte_cpu_to_be_16(type);
		if (off->vlan != 0) {
			m->ol_flags |= RTE_MBUF_F_TX_VLAN;
			m->vlan_tci = off->vlan;
		}
	}
	l3 = (uint8_t *)eth + l2_len;
	u = (struct rte_udp_hdr *)(l3 + l3_len);
	u->src_port = rte_cpu_to_be_16(src->port);
	u->dst_port = rte_cpu_to_be_16(dst->port);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(plen + UDP_HDR_LEN));
	u->dgram_cksum = 0;
	if (src->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(plen + UDP_HDR_LEN + l3_len));
		ip->packet_id = 0;
		/* DF: media is never fragmented on the way (RFC 8085 §3.2: UDP applications
		 * should avoid fragmentation). */
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, src->ip, 4);
		memcpy(&ip->dst_addr, dst->ip, 4);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		if (off->has_ipv4_cksum)
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (off->has_udp_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
			u->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			u->dgram_cksum = udp_cksum(rte_ipv4_phdr_cksum(ip, 0), u,
						   plen + UDP_HDR_LEN);
		}
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(plen + UDP_HDR_LEN));
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->ip, 16);
		memcpy(ip->dst_addr, dst->ip, 16);
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
		/* RFC 8200 §8.1: a UDP checksum is mandatory over IPv6. */
		if (off->has_udp_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
			u->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		} else {
			u->dgram_cksum = udp_cksum(rte_ipv6_phdr_cksum(ip, 0), u,
						   plen + UDP_HDR_LEN);
		}
	}
	return 0;
}

void dpdk_finish_cksum(struct rte_mbuf *m)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(l3 + m->l3_len);

	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			u->dgram_cksum = 0;
			u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
		}
	} else if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv6_udptcp_cksum(ip, u);
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
}

int dpdk_vlan_tag(struct rte_mbuf *m, const struct dpdk_tx_offload *off)
{
	struct rte_ether_hdr *eth;
	struct rte_vlan_hdr *vh;
	uint8_t *old;

	if (off->vlan == 0)
		return 0;
	if (off->has_vlan_insert) {
		m->ol_flags |= RTE_MBUF_F_TX_VLAN;
		m->vlan_tci = off->vlan;
		return 0;
	}
	if (m->data_len < RTE_ETHER_HDR_LEN || rte_pktmbuf_headroom(m) < RTE_VLAN_HLEN)
		return -ENOSPC;
	old = rte_pktmbuf_mtod(m, uint8_t *);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_VLAN_HLEN);
	/* The addresses move down; the frame's EtherType, where it was, becomes the tag's
	 * inner one (IEEE 802.1Q §9.3). */
	memmove(eth, old, 2 * RTE_ETHER_ADDR_LEN);
	vh = (struct rte_vlan_hdr *)(eth + 1);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = rte_cpu_to_be_16(off->vlan);
	return 0;
}
