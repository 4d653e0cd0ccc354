/* SPDX-License-Identifier: MIT */
/*
 * The DPDK unit test's frames and ring ports: net_ring NICs and exception ports whose rings
 * the test fills and drains, crafted Ethernet/IPv4/IPv6/UDP frames, and what a sent frame says
 * (addresses, MACs, checksums). Included by the DPDK unit tests (static helpers).
 */
#ifndef PONTE_TEST_DPDK_FRAMES_H
#define PONTE_TEST_DPDK_FRAMES_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <ponte/dataplane.h>

#include "srtp.h"

static struct rte_mempool *pool; /* the test's mbufs, made in main() */

/* ---- the ring ports ---- */

struct ring_port {
	struct rte_ring *rx[2], *tx[2];
	uint16_t port_id;
	char name[32];
};

static void ring_port_make(struct ring_port *p, const char *name, unsigned nb)
{
	char rn[64];

	for (unsigned i = 0; i < nb; i++) {
		snprintf(rn, sizeof(rn), "%s_rx%u", name, i);
		p->rx[i] = rte_ring_create(rn, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rn, sizeof(rn), "%s_tx%u", name, i);
		p->tx[i] = rte_ring_create(rn, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	p->port_id = (uint16_t)rte_eth_from_rings(name, p->rx, nb, p->tx, nb, 0);
	rte_eth_dev_get_name_by_port(p->port_id, p->name);
}

/* ---- frames ---- */

static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x22};
static const uint8_t router_mac[6] = {0x02, 0, 0, 0, 0, 0x33};

struct frame {
	uint8_t b[2048];
	size_t len;
};

/* Ethernet + IPv4 + UDP around payload, checksums right. */
static void udp4(struct frame *f, const uint8_t *smac, const char *sip, uint16_t sport,
		 const char *dip, uint16_t dport, const uint8_t *payload, size_t plen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	memset(f->b, 0, 64);
	memcpy(&eth->dst_addr, gw_mac, 6);
	memcpy(&eth->src_addr, smac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + 8 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, sip, &ip->src_addr);
	inet_pton(AF_INET, dip, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = htons(sport);
	u->dst_port = htons(dport);
	u->dgram_len = htons((uint16_t)(8 + plen));
	memcpy(u + 1, payload, plen);
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	f->len = 14 + 20 + 8 + plen;
}

static void udp6(struct frame *f, const uint8_t *smac, const char *sip, uint16_t sport,
		 const char *dip, uint16_t dport, const uint8_t *payload, size_t plen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	memset(f->b, 0, 64);
	memcpy(&eth->dst_addr, gw_mac, 6);
	memcpy(&eth->src_addr, smac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = htonl(6u << 28);
	ip->payload_len = htons((uint16_t)(8 + plen));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	inet_pton(AF_INET6, sip, ip->src_addr);
	inet_pton(AF_INET6, dip, ip->dst_addr);
	u->src_port = htons(sport);
	u->dst_port = htons(dport);
	u->dgram_len = htons((uint16_t)(8 + plen));
	memcpy(u + 1, payload, plen);
	u->dgram_cksum = rte_ipv6_udptcp_cksum(ip, u);
	f->len = 14 + 40 + 8 + plen;
}

static void put(struct rte_ring *r, const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), f->b, f->len);
	rte_ring_enqueue(r, m);
}

/* The next frame a ring gets within 1 s, copied into f; false when none. */
static bool take(struct rte_ring *r, struct frame *f)
{
	for (int i = 0; i < 1000; i++) {
		struct rte_mbuf *m = NULL;

		if (rte_ring_dequeue(r, (void **)&m) == 0) {
			f->len = rte_pktmbuf_pkt_len(m);
			memcpy(f->b, rte_pktmbuf_mtod(m, void *), f->len);
			rte_pktmbuf_free(m);
			return true;
		}
		usleep(1000);
	}
	return false;
}

/* Nothing on the ring for 150 ms. */
static bool quiet(struct rte_ring *r)
{
	usleep(150000);
	return rte_ring_count(r) == 0;
}

static void drain(struct rte_ring *r)
{
	struct rte_mbuf *m = NULL;

	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

/* The UDP checksum of a datagram (the pseudo-header's sum ph): right when the whole sums to
 * 0xffff (RFC 768, RFC 1071). */
static bool is_udp_sum_ok(uint32_t ph, const struct rte_udp_hdr *u)
{
	uint32_t sum = ph + rte_raw_cksum(u, ntohs(u->dgram_len));

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff && u->dgram_cksum != 0;
}

/* What an output frame says, checksums checked. */
struct seen {
	bool is_ok;
	uint8_t dmac[6], smac[6];
	struct ponte_addr src, dst;
	const uint8_t *payload;
	size_t plen;
};

static struct seen look(const struct frame *f)
{
	struct seen s = {.is_ok = false};
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f->b;

	memcpy(s.dmac, &eth->dst_addr, 6);
	memcpy(s.smac, &eth->src_addr, 6);
	if (ntohs(eth->ether_type) == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 1);

		s.is_ok = rte_ipv4_cksum(ip) == 0 && is_udp_sum_ok(rte_ipv4_phdr_cksum(ip, 0), u) &&
			  ntohs(ip->total_length) == f->len - 14;
		s.src.family = s.dst.family = AF_INET;
		memcpy(s.src.ip, &ip->src_addr, 4);
		memcpy(s.dst.ip, &ip->dst_addr, 4);
		s.src.port = ntohs(u->src_port);
		s.dst.port = ntohs(u->dst_port);
		s.payload = (const uint8_t *)(u + 1);
		s.plen = ntohs(u->dgram_len) - 8u;
	} else if (ntohs(eth->ether_type) == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(eth + 1);
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 1);

		s.is_ok = is_udp_sum_ok(rte_ipv6_phdr_cksum(ip, 0), u);
		s.src.family = s.dst.family = AF_INET6;
		memcpy(s.src.ip, ip->src_addr, 16);
		memcpy(s.dst.ip, ip->dst_addr, 16);
		s.src.port = ntohs(u->src_port);
		s.dst.port = ntohs(u->dst_port);
		s.payload = (const uint8_t *)(u + 1);
		s.plen = ntohs(u->dgram_len) - 8u;
	}
	return s;
}

/* ---- RTP and SRTP ---- */

static size_t make_rtp(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		       size_t payload)
{
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < payload; i++)
		pkt[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void key_fill(struct ponte_srtp_key *k, uint16_t profile, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->profile = profile;
	ponte_srtp_profile_sizes(profile, &k->key_len, &k->salt_len, &(uint8_t){0});
	for (int i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(seed + i);
	for (int i = 0; i < k->salt_len; i++)
		k->salt[i] = (uint8_t)(seed * 3 + i);
}

#endif
