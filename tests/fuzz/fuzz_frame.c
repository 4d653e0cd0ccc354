/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the DPDK fast path's frame parser and builder (dataplane/dpdk/parse.c), on any
 * frame a NIC or the kernel's TAP could hand it. No EAL: the input is wrapped in an rte_mbuf
 * by hand, the frame at the very end of its allocation (so that ASan sees a read past it) with
 * RTE_PKTMBUF_HEADROOM bytes before it, poisoned for ASan and filled with a pattern checked
 * afterwards, so that a read or write before the frame is caught too.
 *
 * Input: 5 bytes of what the NIC reported, then the frame.
 *   [0] bit 0: the NIC stripped a VLAN tag (RX_VLAN_STRIPPED; only on a port with a VLAN,
 *              the only ports port.c enables stripping on); bits 1-2: its word on the IPv4
 *              header checksum, bits 3-4: on the L4 checksum (unknown, good, bad, none);
 *              bit 5: a chained mbuf (nb_segs 2)
 *   [1..2] the stripped tag's TCI, big-endian; [3..4] the port's VLAN (low 12 bits, 0: none)
 *
 * Invariants (abort() on violation, with the broken check on stderr):
 * - dpdk_parse(): verdict and reason in range (a drop reason the parser can give; wrong VLAN
 *   only on a VLAN port); the mbuf only ever shrinks inside the frame, nothing outside it is
 *   written; a chained mbuf is never UDP; on a VLAN port a frame not dropped is untagged after
 *   (flags and TCI cleared, an in-frame tag cut out, the addresses moved over it, the rest
 *   of the bytes the frame's own); the kernel's reasons match the headers (options, fragment,
 *   UDP larger than the pipeline's largest packet, DPDK_MEDIA_MAX).
 * - For DPKT_UDP: addresses of one family equal to the headers' bytes, the source MAC, the
 *   frame trimmed to exactly its IP datagram, payload_off + payload_len inside it and equal to
 *   the UDP header's length; a plain 20-byte IPv4 header, not a fragment, its checksum right
 *   (by our own RFC 1071 sum) unless the NIC vouched for it; nothing the NIC called bad; where
 *   the NIC said nothing of the UDP checksum, the datagram's checksum right by our own sum
 *   (or 0 over IPv4: none); a checksum taken as a sender's unfinished offload (is_cksum_partial)
 *   only then, the frame's field having been the pseudo-header's sum, and those two bytes the
 *   only ones parse wrote (completed). A second parse with VLAN 0 (a frame handed to another
 *   lcore) gives the same answer, and no longer a partial checksum.
 * - Round trip: for a UDP verdict, dpdk_build() of the payload from dst back to src, with and
 *   without each checksum offload, untagged, tagged in software and by the NIC: the headers as
 *   documented, the payload intact, then dpdk_finish_cksum() (a no-op without offloads) leaves
 *   IPv4 header and UDP checksums that our own sum verifies; the frame parsed by a port of the
 *   same VLAN is DPKT_UDP with the addresses swapped and the same payload.
 * - dpdk_vlan_tag(): a frame tagged (in software or by the NIC) and parsed by a port of that
 *   VLAN gets exactly the answer the untagged frame gets on an untagged port.
 * - dpdk_parse_egress(): reads nothing out of bounds; when it answers, the address and MAC are
 *   the frame's unicast destination.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "parse.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAS_ASAN 1
#endif
#endif
#ifdef HAS_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define META_LEN 5
#define HEADROOM RTE_PKTMBUF_HEADROOM
#define FRAME_MAX (UINT16_MAX - HEADROOM)
#define ETH_LEN RTE_ETHER_HDR_LEN
#define PATTERN 0xa5
#define VLAN_FLAGS (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED)

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			fail(#c, __LINE__);                                                        \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the NIC said about the frame, and the port's VLAN. */
struct meta {
	uint64_t ol_flags;
	uint16_t tci;
	uint16_t vlan;
	bool is_chained;
};

/* The gateway's MAC in what it builds. */
static const struct rte_ether_addr us = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}};

static _Noreturn void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_frame.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 §4.1: the 16-bit one's complement sum of len bytes (an odd last byte padded with
 * zero), added to sum; fold() carries it into 16 bits. Our own, not parse.c's or DPDK's. */
static uint64_t sum16(const uint8_t *b, size_t len, uint64_t sum)
{
	for (; len > 1; b += 2, len -= 2)
		sum += rd16(b);
	if (len == 1)
		sum += (uint64_t)b[0] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An mbuf over a copy of len bytes placed at the end of a fresh allocation, HEADROOM bytes of
 * PATTERN before them: what a NIC's mbuf looks like, with nothing addressable after the frame.
 * Returns the allocation (NULL when out of memory). */
static uint8_t *wrap(struct rte_mbuf *m, const void *frame, size_t len)
{
	uint8_t *mem = malloc(HEADROOM + len);

	if (mem == NULL)
		return NULL;
	memset(mem, PATTERN, HEADROOM);
	memcpy(mem + HEADROOM, frame, len);
	memset(m, 0, sizeof(*m));
	m->buf_addr = mem;
	rte_mbuf_iova_set(m, (rte_iova_t)(uintptr_t)mem);
	m->buf_len = (uint16_t)(HEADROOM + len);
	m->data_off = HEADROOM;
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->nb_segs = 1;
	m->refcnt = 1;
	return mem;
}

/* The parser with what lies before the frame out of bounds (ASan) and checked unwritten. */
static void parse(struct rte_mbuf *m, uint16_t vlan, struct dpdk_pkt *p)
{
	uint8_t *mem = m->buf_addr;
	uint16_t head = m->data_off;

	POISON(mem, head);
	dpdk_parse(m, vlan, p);
	UNPOISON(mem, head);
	for (unsigned i = 0; i < head && i < HEADROOM; i++)
		NEED(mem[i] == PATTERN);
}

static bool same_pkt(const struct dpdk_pkt *a, const struct dpdk_pkt *b)
{
	return a->verdict == b->verdict && a->reason == b->reason &&
	       a->payload_off == b->payload_off && a->payload_len == b->payload_len &&
	       memcmp(&a->src, &b->src, sizeof(a->src)) == 0 &&
	       memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0 &&
	       (a->verdict == DPKT_DROP || rte_is_same_ether_addr(&a->src_mac, &b->src_mac));
}

static void check_addr(const struct ponte_addr *a, uint16_t family, const uint8_t *ip,
		       const uint8_t *port)
{
	static const uint8_t zero[12];

	NEED(a->family == family);
	NEED(a->port == rd16(port));
	if (family == AF_INET)
		NEED(memcmp(a->ip, ip, 4) == 0 && memcmp(a->ip + 4, zero, 12) == 0);
	else
		NEED(memcmp(a->ip, ip, 16) == 0);
}

/* The IP and UDP headers at l3 (family, carrying plen bytes of payload) are what dpdk_build()
 * documents, and their checksums verify (RFC 791 §3.1, RFC 768, RFC 8200 §8.1). */
static void check_built_headers(const uint8_t *l3, uint16_t family, size_t plen)
{
	size_t ulen = plen + 8;
	const uint8_t *u;
	uint64_t sum;

	if (family == AF_INET) {
		NEED(l3[0] == 0x45 && rd16(l3 + 2) == 20 + ulen && l3[8] != 0 &&
		     l3[9] == IPPROTO_UDP);
		NEED((rd16(l3 + 6) & 0x3fff) == 0);
		NEED(fold(sum16(l3, 20, 0)) == 0xffff);
		u = l3 + 20;
		sum = sum16(l3 + 12, 8, IPPROTO_UDP + ulen);
	} else {
		NEED(l3[0] >> 4 == 6 && rd16(l3 + 4) == ulen && l3[6] == IPPROTO_UDP && l3[7] != 0);
		u = l3 + 40;
		sum = sum16(l3 + 8, 32, IPPROTO_UDP + ulen);
	}
	NEED(rd16(u + 4) == ulen);
	/* A computed zero goes out as 0xffff: zero would mean "no checksum" (RFC 768). */
	NEED(rd16(u + 6) != 0);
	NEED(fold(sum16(u, ulen, sum)) == 0xffff);
}

/* dpdk_build() of payload from p's destination back to its source, under off; then the frame
 * received by a port of off's VLAN. */
static void build_one(const struct dpdk_pkt *p, const uint8_t *payload,
		      const struct dpdk_tx_offload *off, const struct meta *mt)
{
	static struct rte_mbuf m, r;
	uint16_t family = p->src.family;
	size_t plen = p->payload_len, l3_len = family == AF_INET ? 20 : 40;
	bool is_tag_here = off->vlan != 0 && !off->has_vlan_insert;
	size_t l2_len = ETH_LEN + (is_tag_here ? RTE_VLAN_HLEN : 0);
	bool is_offloaded = off->has_udp_cksum || (family == AF_INET && off->has_ipv4_cksum);
	uint8_t *mem, *rmem = NULL, *before = NULL, *f;
	uint64_t tx_vlan;
	uint16_t tx_tci;
	struct dpdk_pkt q;
	int rc;

	mem = wrap(&m, payload, plen);
	if (mem == NULL)
		return;
	rc = dpdk_build(&m, &p->dst, &p->src, &us, &p->src_mac, off);
	if (plen + 8 + l3_len > UINT16_MAX) {
		NEED(rc == -EMSGSIZE);
		goto out;
	}
	NEED(rc == 0);
	f = rte_pktmbuf_mtod(&m, uint8_t *);
	NEED(m.data_len == l2_len + l3_len + 8 + plen && m.pkt_len == m.data_len);
	NEED(m.data_off == HEADROOM - (l2_len + l3_len + 8));
	NEED(m.l2_len == l2_len && m.l3_len == l3_len);
	NEED(memcmp(f, &p->src_mac, 6) == 0 && memcmp(f + 6, &us, 6) == 0);
	NEED(memcmp(f + l2_len + l3_len + 8, payload, plen) == 0);
	if (is_tag_here) {
		NEED(rd16(f + 12) == RTE_ETHER_TYPE_VLAN && rd16(f + 14) == off->vlan);
		NEED(!(m.ol_flags & RTE_MBUF_F_TX_VLAN));
	} else if (off->vlan != 0) {
		NEED((m.ol_flags & RTE_MBUF_F_TX_VLAN) && m.vlan_tci == off->vlan);
	} else {
		NEED(!(m.ol_flags & RTE_MBUF_F_TX_VLAN));
	}
	NEED(rd16(f + l2_len - 2) ==
	     (family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6));
	NEED(!!(m.ol_flags & RTE_MBUF_F_TX_IPV4) == (family == AF_INET));
	NEED(!!(m.ol_flags & RTE_MBUF_F_TX_IPV6) == (family == AF_INET6));
	NEED(!!(m.ol_flags & RTE_MBUF_F_TX_IP_CKSUM) == (family == AF_INET && off->has_ipv4_cksum));
	NEED(((m.ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) ==
	     off->has_udp_cksum);
	tx_vlan = m.ol_flags & RTE_MBUF_F_TX_VLAN;
	tx_tci = m.vlan_tci;
	if (!is_offloaded) {
		before = malloc(m.data_len);
		if (before == NULL)
			goto out;
		memcpy(before, f, m.data_len);
	}
	dpdk_finish_cksum(&m);
	NEED((m.ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) == 0);
	NEED(before == NULL || memcmp(before, f, m.data_len) == 0);
	check_built_headers(f + l2_len, family, plen);

	/* The peer's port: the NIC strips a tag the other NIC inserted, keeping its priority bits
	 * (from the input, to show they are not looked at); a software tag arrives in the frame. */
	rmem = wrap(&r, f, m.data_len);
	if (rmem == NULL)
		goto out;
	if (tx_vlan) {
		r.ol_flags = VLAN_FLAGS;
		r.vlan_tci = (uint16_t)(tx_tci | (mt->tci & 0xf000));
	} else if (is_tag_here) {
		rmem[HEADROOM + 14] |= (uint8_t)((mt->tci >> 8) & 0xf0);
	}
	parse(&r, off->vlan, &q);
	NEED(q.verdict == DPKT_UDP);
	NEED(memcmp(&q.src, &p->dst, sizeof(q.src)) == 0);
	NEED(memcmp(&q.dst, &p->src, sizeof(q.dst)) == 0);
	NEED(rte_is_same_ether_addr(&q.src_mac, &us));
	NEED(q.payload_len == plen && q.payload_off + plen == r.data_len);
	NEED(memcmp(rte_pktmbuf_mtod_offset(&r, uint8_t *, q.payload_off), payload, plen) == 0);
out:
	free(before);
	free(rmem);
	free(mem);
}

/* What dpdk_build() and dpdk_vlan_tag() refuse (addresses of two families, too little
 * headroom) or have nothing to do for (VLAN 0) leaves the mbuf as it was. */
static void check_refusals(const struct dpdk_pkt *p, const uint8_t *payload)
{
	static struct rte_mbuf m;
	const struct dpdk_tx_offload untagged = {.vlan = 0}, tagged = {.vlan = 42};
	size_t plen = p->payload_len;
	/* One byte short of the headers' room, IPv6's being the larger. */
	uint16_t head = (uint16_t)(ETH_LEN + (p->src.family == AF_INET ? 20 : 40) + 8 - 1);
	struct ponte_addr other = p->src;
	uint8_t *mem = wrap(&m, payload, plen);

	if (mem == NULL)
		return;
	other.family = p->src.family == AF_INET ? AF_INET6 : AF_INET;
	NEED(dpdk_build(&m, &p->dst, &other, &us, &p->src_mac, &untagged) == -EAFNOSUPPORT);
	NEED(dpdk_vlan_tag(&m, &untagged) == 0);
	NEED(m.data_off == HEADROOM && m.data_len == plen && m.ol_flags == 0);
	/* The same payload in a buffer with less headroom than the headers need. */
	m.buf_addr = mem + HEADROOM - head;
	m.buf_len = (uint16_t)(head + plen);
	m.data_off = head;
	NEED(dpdk_build(&m, &p->dst, &p->src, &us, &p->src_mac, &untagged) == -ENOSPC);
	NEED(m.data_off == head && m.data_len == plen && m.ol_flags == 0);
	m.data_off = RTE_VLAN_HLEN - 1;
	m.buf_addr = mem + HEADROOM - m.data_off;
	m.buf_len = (uint16_t)(m.data_off + plen);
	NEED(dpdk_vlan_tag(&m, &tagged) == -ENOSPC);
	NEED(m.data_off == RTE_VLAN_HLEN - 1 && m.data_len == plen);
	NEED(memcmp(mem + HEADROOM, payload, plen) == 0);
	free(mem);
}

/* Every way of sending: no offload, each checksum offload, both; untagged, a tag written in
 * software, one the NIC inserts. */
static void round_trip(const struct dpdk_pkt *p, const uint8_t *payload, const struct meta *mt)
{
	uint16_t vlan = mt->vlan != 0 ? mt->vlan : (mt->tci & 0x0fff) != 0 ? mt->tci & 0x0fff : 1;

	for (unsigned i = 0; i < 12; i++) {
		struct dpdk_tx_offload off = {
		    .has_ipv4_cksum = i & 1,
		    .has_udp_cksum = (i >> 1) & 1,
		    .has_vlan_insert = i / 4 == 2,
		    .vlan = i / 4 == 0 ? 0 : vlan,
		};

		build_one(p, payload, &off, mt);
	}
}

/* A UDP verdict for the frame m now holds: the headers say what p says. */
static void check_udp(const struct rte_mbuf *m, const struct dpdk_pkt *p)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t ip_ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	const uint8_t *ip = f + ETH_LEN, *u;

	NEED(p->reason == 0);
	NEED(p->src.family == p->dst.family);
	NEED(m->data_len >= ETH_LEN && memcmp(&p->src_mac, f + 6, 6) == 0);
	NEED((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_BAD);
	if (p->src.family == AF_INET) {
		NEED(rd16(f + 12) == RTE_ETHER_TYPE_IPV4 && m->data_len >= ETH_LEN + 20 + 8);
		NEED(ip[0] == 0x45 && ip[9] == IPPROTO_UDP && (rd16(ip + 6) & 0x3fff) == 0);
		NEED(m->data_len == ETH_LEN + rd16(ip + 2));
		NEED(ip_ck != RTE_MBUF_F_RX_IP_CKSUM_BAD);
		NEED(ip_ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD || ip_ck == RTE_MBUF_F_RX_IP_CKSUM_NONE ||
		     fold(sum16(ip, 20, 0)) == 0xffff);
		u = ip + 20;
		check_addr(&p->src, AF_INET, ip + 12, u);
		check_addr(&p->dst, AF_INET, ip + 16, u + 2);
	} else {
		NEED(p->src.family == AF_INET6);
		NEED(rd16(f + 12) == RTE_ETHER_TYPE_IPV6 && m->data_len >= ETH_LEN + 40 + 8);
		NEED(ip[0] >> 4 == 6 && ip[6] == IPPROTO_UDP);
		NEED(m->data_len == ETH_LEN + 40 + rd16(ip + 4));
		u = ip + 40;
		check_addr(&p->src, AF_INET6, ip + 8, u);
		check_addr(&p->dst, AF_INET6, ip + 24, u + 2);
	}
	NEED(p->payload_off == u + 8 - f);
	NEED(rd16(u + 4) >= 8 && p->payload_len == rd16(u + 4) - 8);
	NEED((size_t)p->payload_off + p->payload_len <= m->data_len);
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN) {
		size_t alen = p->src.family == AF_INET ? 4 : 16;
		uint64_t ph = sum16(u - 2 * alen, 2 * alen, IPPROTO_UDP + rd16(u + 4));

		NEED((p->src.family == AF_INET && rd16(u + 6) == 0) ||
		     fold(sum16(u, rd16(u + 4), ph)) == 0xffff);
	} else {
		NEED(!p->is_cksum_partial);
	}
}

/* What dpdk_parse() says of the frame as the NIC delivered it. */
static void check_rx(const uint8_t *frame, size_t len, const struct meta *mt)
{
	static struct rte_mbuf m;
	struct dpdk_pkt p, q;
	bool has_tag_in_frame;
	uint16_t data_off, data_len;
	uint8_t done_ck[2] = {0, 0};
	const uint8_t *f;
	uint8_t *mem = wrap(&m, frame, len);

	if (mem == NULL)
		return;
	m.ol_flags = mt->ol_flags;
	m.vlan_tci = mt->tci;
	if (mt->is_chained)
		m.nb_segs = 2;
	has_tag_in_frame = mt->vlan != 0 && !(mt->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED);
	memset(&p, 0x5a, sizeof(p));
	parse(&m, mt->vlan, &p);

	/* The mbuf only shrinks, inside the frame. */
	NEED(m.buf_addr == mem && m.buf_len == HEADROOM + len);
	NEED(m.data_off >= HEADROOM && m.data_off + m.data_len <= HEADROOM + len);
	NEED(m.pkt_len == m.data_len);
	switch (p.verdict) {
	case DPKT_UDP:
		break;
	case DPKT_KERNEL:
		NEED(p.reason == DPKT_K_OTHER || p.reason == DPKT_K_OPTIONS ||
		     p.reason == DPKT_K_FRAGMENT || p.reason == DPKT_K_TOO_BIG);
		break;
	case DPKT_DROP:
		NEED(p.reason == PONTE_DP_DROP_TRUNCATED || p.reason == PONTE_DP_DROP_BAD_VERSION ||
		     p.reason == PONTE_DP_DROP_BAD_LENGTH ||
		     p.reason == PONTE_DP_DROP_BAD_CHECKSUM ||
		     p.reason == PONTE_DP_DROP_BAD_UDP_CHECKSUM ||
		     (p.reason == PONTE_DP_DROP_WRONG_VLAN && mt->vlan != 0));
		goto out;
	default:
		fail("verdict in range", __LINE__);
	}
	if (mt->is_chained)
		NEED(p.verdict == DPKT_KERNEL && p.reason == DPKT_K_OTHER);

	/* Kept (UDP or the kernel's): untagged from here on, the rest of the frame its own. */
	f = rte_pktmbuf_mtod(&m, const uint8_t *);
	/* A completed checksum: the frame's field was the pseudo-header's sum (the sender's
	 * CHECKSUM_PARTIAL), put back for the byte comparisons below, the new one after. */
	if (p.verdict == DPKT_UDP && p.is_cksum_partial) {
		uint8_t *ck = (uint8_t *)f + p.payload_off - 2;
		const uint8_t *was = frame + (ck - f) + (has_tag_in_frame ? RTE_VLAN_HLEN : 0);
		size_t alen = p.src.family == AF_INET ? 4 : 16;

		NEED((m.ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN);
		NEED(rd16(was) == fold(sum16(ck - 6 - 2 * alen, 2 * alen,
					     IPPROTO_UDP + rd16(ck - 2))));
		memcpy(done_ck, ck, 2);
		memcpy(ck, was, 2);
	}
	if (mt->vlan != 0) {
		NEED(!(m.ol_flags & VLAN_FLAGS) && m.vlan_tci == 0);
		NEED((m.ol_flags & ~VLAN_FLAGS) == (mt->ol_flags & ~VLAN_FLAGS));
	} else {
		NEED(m.ol_flags == mt->ol_flags && m.vlan_tci == mt->tci);
	}
	if (has_tag_in_frame) {
		NEED(len >= ETH_LEN + RTE_VLAN_HLEN && m.data_off == HEADROOM + RTE_VLAN_HLEN);
		NEED(rd16(frame + 12) == RTE_ETHER_TYPE_VLAN &&
		     (rd16(frame + 14) & 0x0fff) == mt->vlan);
		NEED(memcmp(f, frame, 12) == 0);
		NEED(m.data_len < 12 || memcmp(f + 12, frame + 16, m.data_len - 12u) == 0);
	} else {
		NEED(m.data_off == HEADROOM && memcmp(f, frame, m.data_len) == 0);
	}
	if (mt->vlan != 0 && !has_tag_in_frame)
		NEED((mt->tci & 0x0fff) == mt->vlan);
	if (p.verdict == DPKT_KERNEL && p.reason == DPKT_K_OPTIONS)
		NEED(m.data_len >= ETH_LEN + 20 && rd16(f + 12) == RTE_ETHER_TYPE_IPV4 &&
		     (f[ETH_LEN] & 0x0f) > 5);
	if (p.verdict == DPKT_KERNEL && p.reason == DPKT_K_FRAGMENT)
		NEED(m.data_len >= ETH_LEN + 20 &&
		     ((rd16(f + 12) == RTE_ETHER_TYPE_IPV4 && (rd16(f + ETH_LEN + 6) & 0x3fff)) ||
		      (rd16(f + 12) == RTE_ETHER_TYPE_IPV6 && m.data_len >= ETH_LEN + 40 &&
		       f[ETH_LEN + 6] == IPPROTO_FRAGMENT)));
	if (p.verdict == DPKT_KERNEL && p.reason == DPKT_K_TOO_BIG) {
		size_t l4 = rd16(f + 12) == RTE_ETHER_TYPE_IPV4 ? ETH_LEN + 20 : ETH_LEN + 40;

		NEED(m.data_len >= l4 + 8 && rd16(f + l4 + 4) - 8 > DPDK_MEDIA_MAX);
		NEED(rd16(f + 12) == RTE_ETHER_TYPE_IPV6 ||
		     (rd16(f + 12) == RTE_ETHER_TYPE_IPV4 && f[ETH_LEN] == 0x45 &&
		      f[ETH_LEN + 9] == IPPROTO_UDP));
		NEED(rd16(f + 12) == RTE_ETHER_TYPE_IPV4 || f[ETH_LEN + 6] == IPPROTO_UDP);
	}
	if (p.verdict != DPKT_UDP)
		goto out;
	NEED(p.payload_len <= DPDK_MEDIA_MAX);
	if (p.is_cksum_partial)
		memcpy((uint8_t *)f + p.payload_off - 2, done_ck, 2);
	check_udp(&m, &p);

	/* Handed to another lcore, the frame is parsed again on no VLAN: the same answer. */
	data_off = m.data_off;
	data_len = m.data_len;
	parse(&m, 0, &q);
	NEED(same_pkt(&p, &q) && m.data_off == data_off && m.data_len == data_len);
	NEED(!q.is_cksum_partial);
	round_trip(&p, f + p.payload_off, mt);
	check_refusals(&p, f + p.payload_off);
out:
	free(mem);
}

/* dpdk_vlan_tag() then a port of that VLAN: what an untagged port makes of the frame. */
static void check_tag(const uint8_t *frame, size_t len, const struct meta *mt)
{
	static struct rte_mbuf a, b;
	uint16_t vlan = mt->vlan != 0 ? mt->vlan : 1;
	uint64_t cksum_flags = mt->ol_flags & ~VLAN_FLAGS;
	struct dpdk_pkt pa, pb;
	uint8_t *amem = wrap(&a, frame, len), *bmem = NULL;

	if (amem == NULL)
		return;
	a.ol_flags = cksum_flags;
	parse(&a, 0, &pa);
	for (int is_hw = 0; is_hw < 2; is_hw++) {
		struct dpdk_tx_offload off = {.has_vlan_insert = is_hw, .vlan = vlan};
		const uint8_t *f;
		int rc;

		free(bmem);
		bmem = wrap(&b, frame, len);
		if (bmem == NULL)
			break;
		rc = dpdk_vlan_tag(&b, &off);
		f = rte_pktmbuf_mtod(&b, const uint8_t *);
		if (!is_hw && len < ETH_LEN) {
			NEED(rc == -ENOSPC && b.data_off == HEADROOM && b.data_len == len);
			NEED(memcmp(f, frame, len) == 0);
			continue;
		}
		NEED(rc == 0);
		if (is_hw) {
			NEED((b.ol_flags & RTE_MBUF_F_TX_VLAN) && b.vlan_tci == vlan);
			NEED(b.data_off == HEADROOM && b.data_len == len &&
			     memcmp(f, frame, len) == 0);
			b.ol_flags = cksum_flags | VLAN_FLAGS;
		} else {
			NEED(b.data_off == HEADROOM - RTE_VLAN_HLEN &&
			     b.data_len == len + RTE_VLAN_HLEN && b.pkt_len == b.data_len);
			NEED(memcmp(f, frame, 12) == 0 && rd16(f + 12) == RTE_ETHER_TYPE_VLAN &&
			     rd16(f + 14) == vlan && memcmp(f + 16, frame + 12, len - 12) == 0);
			b.ol_flags = cksum_flags;
		}
		parse(&b, vlan, &pb);
		NEED(same_pkt(&pa, &pb) && b.data_len == a.data_len);
	}
	free(bmem);
	free(amem);
}

/* dpdk_parse_egress() on a frame the kernel sent. */
static void check_egress(const uint8_t *frame, size_t len)
{
	static struct rte_mbuf m;
	struct ponte_addr dst;
	struct rte_ether_addr mac;
	uint8_t *mem = wrap(&m, frame, len);
	bool is_ip;

	if (mem == NULL)
		return;
	memset(&dst, 0x5a, sizeof(dst));
	POISON(mem, HEADROOM);
	is_ip = dpdk_parse_egress(&m, &dst, &mac);
	UNPOISON(mem, HEADROOM);
	NEED(memcmp(mem + HEADROOM, frame, len) == 0);
	if (is_ip) {
		NEED(len >= ETH_LEN + 20 && !(frame[0] & 1) && memcmp(&mac, frame, 6) == 0);
		NEED(dst.port == 0);
		if (rd16(frame + 12) == RTE_ETHER_TYPE_IPV4) {
			NEED(frame[ETH_LEN] >> 4 == 4);
			check_addr(&dst, AF_INET, frame + ETH_LEN + 16, (const uint8_t[2]){0, 0});
		} else {
			NEED(rd16(frame + 12) == RTE_ETHER_TYPE_IPV6 && len >= ETH_LEN + 40);
			NEED(frame[ETH_LEN] >> 4 == 6 && frame[ETH_LEN + 24] != 0xff);
			check_addr(&dst, AF_INET6, frame + ETH_LEN + 24, (const uint8_t[2]){0, 0});
		}
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t ip_ck[4] = {RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
					  RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
					  RTE_MBUF_F_RX_IP_CKSUM_NONE};
	static const uint64_t l4_ck[4] = {RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN,
					  RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_BAD,
					  RTE_MBUF_F_RX_L4_CKSUM_NONE};
	struct meta mt;

	if (size < META_LEN || size - META_LEN > FRAME_MAX)
		return 0;
	memset(&mt, 0, sizeof(mt));
	mt.ol_flags = ip_ck[(data[0] >> 1) & 3] | l4_ck[(data[0] >> 3) & 3];
	mt.tci = rd16(data + 1);
	mt.vlan = rd16(data + 3) & 0x0fff;
	if ((data[0] & 1) && mt.vlan != 0)
		mt.ol_flags |= VLAN_FLAGS;
	mt.is_chained = (data[0] >> 5) & 1;
	check_rx(data + META_LEN, size - META_LEN, &mt);
	check_tag(data + META_LEN, size - META_LEN, &mt);
	check_egress(data + META_LEN, size - META_LEN);
	return 0;
}
