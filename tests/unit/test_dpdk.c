/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend with the real EAL (--no-huge --no-pci, its own --file-prefix) and ring
 * ports: the test puts crafted Ethernet frames into the NIC's receive rings and reads what the
 * fast path transmits (NIC rings) and hands to the kernel (the exception port's rings).
 * Several NICs, VLANs and large frames: test_dpdk_nics.c.
 *
 * Proves: configuration errors name their key before the EAL starts (an lcore that does not
 * exist, no port, a missing interface or PCI device, too little memory, no hugepages); frames
 * that are truncated, of the wrong IP version or length, or with a bad checksum (IP header,
 * or UDP where the NIC gave no verdict; a partial UDP checksum is completed) are dropped and
 * counted by reason; IPv4 options and fragments, ARP, and UDP to no port of ours go to the
 * exception port, counted; RTP and STUN on an owned port with no flow are punted; media of a
 * flow goes through the pipeline (SRTP unprotect, rewrite, protect) and out as Ethernet/IP/UDP
 * with valid checksums to the MAC its own frames came from; replays and forged tags are
 * dropped and counted per lcore; IPv6; what the kernel sends goes out through the NIC and
 * teaches the next hop; ponte_dp_input(), ponte_dp_send(), inject, modify, delete; an exact
 * flow beside a port-wide one on one address, each taking its own frames while the other is
 * added, deleted and modified (the lookup's port-wide key first, fslot.has_exact); with two
 * lcores, a frame received by the lcore that does not own its flow is handed over, and a
 * group whose frames land on the other lcore moves there; dpdk.idle: interrupt; steering
 * rules where the NIC takes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <ponte/dataplane.h>

#include "dpdk/dpdk.h"
#include "dpdk/parse.h"
#include "srtp.h"
#include "dpdk_frames.h"
#include "dpdk_unit.h"
#include "tap.h"

/* ---- configuration ---- */

static void test_config_errors(void)
{
	char big[32];

	cfg_reset();
	dcfg.lcores = "99";
	expect_refused("an lcore on a CPU that does not exist", -EINVAL,
		       "dpdk.lcores: CPU 99 does not exist");
	dcfg.lcores = "1-x";
	expect_refused("an lcore list that does not parse", -EINVAL,
		       "dpdk.lcores: '1-x' is not a CPU list");
	dcfg.nb_ports = 0;
	expect_refused("no port", -EINVAL, "dpdk.ports: empty");
	nic_cfg.device = "net_af_packet0,iface=ponte-nope9";
	expect_refused("a vdev on an interface that does not exist", -ENODEV,
		       "dpdk.ports[0].device: 'net_af_packet0,iface=ponte-nope9': there is no "
		       "network interface ponte-nope9");
	nic_cfg.device = "0000:7e:1f.7";
	expect_refused("a PCI device that does not exist", -ENODEV,
		       "dpdk.ports[0].device: no PCI device 0000:7e:1f.7");
	dcfg.memory_mb = 64;
	dcfg.mempool_size = 200000;
	expect_refused("too little memory for the mbufs", -ENOMEM,
		       "dpdk.memory: 64 MB is too little");
	dcfg.is_no_huge = false;
	dcfg.memory_mb = 1048576;
	snprintf(big, sizeof(big), "%u MB of hugepages wanted", dcfg.memory_mb);
	expect_refused("more hugepages than are free", -ENOMEM, big);
	dcfg.file_prefix = "a/b";
	expect_refused("a file prefix with a slash", -EINVAL, "dpdk.file_prefix: 'a/b'");
	nic_cfg.vlan = 4095;
	expect_refused("VLAN 4095 (reserved)", -EINVAL, "dpdk.ports[0].vlan: 4095 is no VLAN id");
	CHECK(rte_lcore_count() == 0, "none of these started the EAL");
}

/* After the EAL runs (the test's own): what only shows then. */
static void test_late_errors(void)
{
	cfg_reset();
	nic_cfg.device = "no-such-ethdev";
	expect_refused("a device that is no ethdev, PCI address or vdev", -ENODEV,
		       "dpdk.ports[0].device: 'no-such-ethdev' is no PCI address");
	nic_cfg.device = "net_bogus0";
	expect_refused("a vdev of a driver that does not exist", 1,
		       "dpdk.ports[0].device: cannot start 'net_bogus0'");
	dcfg.lcores = "1-3";
	expect_refused("more lcores than the running EAL has", -EBUSY,
		       "dpdk.lcores: 3 lcores wanted");
	dcfg.mempool_size = 1024;
	expect_refused("too few mbufs for the queues", -EINVAL, "dpdk.mempool_size: 1024 mbufs");
	dcfg.is_idle_interrupt = true;
	expect_refused("dpdk.idle: interrupt on a port without receive interrupts", -ENOTSUP,
		       "dpdk.idle: interrupt: net_ring_nic0 (dpdk.ports[0]) has no receive "
		       "interrupts");
}

/* ---- one lcore ---- */

static struct ring_port nic, exc;

/* The fast path's keys (dpdk_fkey_rx(): stored a word at a time, hashed from the words) are
 * the control thread's (dpdk_fkey_make()), with the hash rte_hash computes for them: a
 * difference would find no flow. Random addresses of both families, exact and port-wide. */
static void test_fkey_rx(void)
{
	unsigned bad_key = 0, bad_sig = 0;

	srand(7);
	for (unsigned n = 0; n < 4000; n++) {
		struct ponte_addr local = {0}, remote = {0};
		struct dport p = {.kind = DPORT_NIC};
		struct fkey want, have;
		hash_sig_t sig;
		bool is_any = n % 2 == 1;

		local.family = remote.family = n % 4 < 2 ? AF_INET : AF_INET6;
		local.port = (uint16_t)rand();
		remote.port = (uint16_t)rand();
		for (unsigned i = 0; i < (local.family == AF_INET ? 4u : 16u); i++) {
			local.ip[i] = (uint8_t)rand();
			remote.ip[i] = (uint8_t)rand();
		}
		p.local = local;
		dpdk_fkey_make(&want, &p, 0, &remote, is_any);
		memset(&have, 0xa5, sizeof(have));
		sig = dpdk_fkey_rx(&have, &local, is_any ? NULL : &remote);
		bad_key += memcmp(&want, &have, sizeof(want)) != 0;
		bad_sig += sig != rte_hash_crc(&want, sizeof(want), FKEY_HASH_INIT);
	}
	CHECK(bad_key == 0 && bad_sig == 0,
	      "fast-path flow keys equal the control thread's, and so do their hashes "
	      "(%u keys, %u hashes of 4000 differ)",
	      bad_key, bad_sig);
}

/* An output that sends where another flow latched (dst_latch_flow, a bridged call's phone
 * leg behind a NAT): to the SDP address until that flow latches, then to the latched source,
 * each to its own next hop's MAC, although the output's next-hop cache (lcore.c's
 * next_hop()) held the first one's and the neighbour table changed no entry meanwhile. */
static void test_latched_next_hop(void)
{
	static const uint8_t sdp_mac[6] = {0x02, 0, 0, 0, 0, 0x44};
	static const uint8_t nat_mac[6] = {0x02, 0, 0, 0, 0, 0x55};
	struct ponte_addr ga, gb, sdp, nat;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct frame f, g;
	struct seen s;
	uint8_t rtp[256];
	size_t len;
	uint32_t pa = 0, pb = 0;
	bool to_sdp = false, to_nat = false;

	ponte_addr_parse(&ga, "127.0.0.1", 0);
	ponte_addr_parse(&gb, "127.0.0.1", 0);
	ponte_addr_parse(&sdp, "198.51.100.80", 7078);
	ponte_addr_parse(&nat, "203.0.113.80", 40000);
	CHECK(ponte_dp_port_open(dp, &ga, 0, 0, &pa) == 0 &&
		  ponte_dp_port_open(dp, &gb, 0, 0, &pb) == 0,
	      "two more owned ports");
	/* The kernel sent to the SDP address (a SIP answer's, say): the table knows its MAC. */
	udp4(&f, sdp_mac, "127.0.0.1", 9, "198.51.100.80", 7078, rtp, 2);
	memcpy(f.b, sdp_mac, 6);
	memcpy(f.b + 6, gw_mac, 6);
	put(exc.rx[0], &f);
	CHECK(take(nic.tx[0], &g), "the kernel's frame to the SDP address goes out");
	ponte_flow_spec_init(&spec, 51, pb);
	spec.is_latching = true;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a port-wide latching flow (the phone's)");
	ponte_flow_spec_init(&spec, 50, pa);
	o = ponte_flow_add_output(&spec, pb, &sdp);
	o->dst_latch_flow = 51;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow to the phone: its SDP address, or 51's");
	ponte_dp_sync(dp);
	for (uint16_t i = 0; i < 3; i++) {
		len = make_rtp(rtp, 0, (uint16_t)(1 + i), 160u * i, 0x5050, 160);
		if (i == 1) {
			/* The phone's media, from behind its NAT: flow 51 latches it. */
			udp4(&f, nat_mac, "203.0.113.80", 40000, "127.0.0.1", gb.port, rtp, len);
			put(nic.rx[0], &f);
			CHECK(quiet(nic.tx[0]), "the phone's flow has no output");
			continue;
		}
		udp4(&f, peer_mac, "198.51.100.7", 5010, "127.0.0.1", ga.port, rtp, len);
		put(nic.rx[0], &f);
		if (!take(nic.tx[0], &g))
			continue;
		s = look(&g);
		if (i == 0)
			to_sdp = ponte_addr_equal(&s.dst, &sdp) && memcmp(s.dmac, sdp_mac, 6) == 0;
		else
			to_nat = ponte_addr_equal(&s.dst, &nat) && memcmp(s.dmac, nat_mac, 6) == 0;
	}
	CHECK(to_sdp, "before the phone's flow latched: to the SDP address and its MAC");
	CHECK(to_nat, "after: to the latched source and its MAC, not the one cached before");
	CHECK(ponte_dp_flow_delete(dp, 50) == 0 && ponte_dp_flow_delete(dp, 51) == 0 &&
		  ponte_dp_port_close(dp, pa) == 0 && ponte_dp_port_close(dp, pb) == 0,
	      "flows and ports removed");
	ponte_dp_sync(dp);
}

/* The control thread's slot of flow id (its table), NULL: none. */
static struct fslot *slot_of(uint64_t id)
{
	const struct dpdk_dp *d = (const struct dpdk_dp *)dp;

	for (uint32_t i = 0; i <= d->c_by_id.mask; i++) {
		struct fslot *s = d->c_by_id.items[i];

		if (s != NULL && s->id == id)
			return s;
	}
	return NULL;
}

/* Where a packet of flow 60 (to the phone, dst_latch_flow 61) goes now. */
static bool sent_to(uint16_t port, uint16_t seq, const struct ponte_addr *want)
{
	struct frame f, g;
	uint8_t rtp[256];
	size_t len = make_rtp(rtp, 0, seq, 160u * seq, 0x6060, 160);
	struct seen s;

	udp4(&f, peer_mac, "198.51.100.7", 5010, "127.0.0.1", port, rtp, len);
	put(nic.rx[0], &f);
	if (!take(nic.tx[0], &g))
		return false;
	s = look(&g);
	return ponte_addr_equal(&s.dst, want);
}

/* A latched destination while flows come and go on the lcore: each change makes the
 * pipeline ask again (struct dp_pipe.epoch), through the slot it remembers (lcore.c's
 * hint_holds()), which must still be the latched flow's: not once it is deleted, not when its
 * slot serves another flow. */
static void test_latch_churn(void)
{
	static const uint8_t sdp_mac[6] = {0x02, 0, 0, 0, 0, 0x66};
	struct ponte_addr ga, gb, gc, sdp, nat, nat2;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct fslot *a_slot, *c_slot;
	struct frame f, g;
	uint8_t rtp[256];
	size_t len;
	uint32_t pa = 0, pb = 0, pc = 0;

	ponte_addr_parse(&ga, "127.0.0.1", 0);
	ponte_addr_parse(&gb, "127.0.0.1", 0);
	ponte_addr_parse(&gc, "127.0.0.1", 0);
	ponte_addr_parse(&sdp, "198.51.100.81", 7078);
	ponte_addr_parse(&nat, "203.0.113.81", 40000);
	ponte_addr_parse(&nat2, "203.0.113.82", 41000);
	CHECK(ponte_dp_port_open(dp, &ga, 0, 0, &pa) == 0 &&
		  ponte_dp_port_open(dp, &gb, 0, 0, &pb) == 0 &&
		  ponte_dp_port_open(dp, &gc, 0, 0, &pc) == 0,
	      "churn: three more owned ports");
	/* The kernel sent to the SDP address: the neighbour table knows its MAC. */
	udp4(&f, sdp_mac, "127.0.0.1", 9, "198.51.100.81", 7078, rtp, 2);
	memcpy(f.b, sdp_mac, 6);
	memcpy(f.b + 6, gw_mac, 6);
	put(exc.rx[0], &f);
	CHECK(take(nic.tx[0], &g), "churn: the kernel's frame to the SDP address goes out");
	ponte_flow_spec_init(&spec, 61, pb);
	spec.is_latching = true;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "churn: the phone's latching flow 61");
	ponte_flow_spec_init(&spec, 60, pa);
	o = ponte_flow_add_output(&spec, pb, &sdp);
	o->dst_latch_flow = 61;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "churn: flow 60, to 61's source or the SDP's");
	ponte_dp_sync(dp);
	a_slot = slot_of(61);
	len = make_rtp(rtp, 0, 1, 0, 0x6161, 160);
	udp4(&f, peer_mac, "203.0.113.81", 40000, "127.0.0.1", gb.port, rtp, len);
	put(nic.rx[0], &f);
	CHECK(quiet(nic.tx[0]), "churn: 61 latches the phone's source");
	CHECK(sent_to(ga.port, 1, &nat), "churn: 60 sends there");
	/* Another flow comes and goes: the pipeline's answers go stale, its hint stays good. */
	ponte_flow_spec_init(&spec, 62, pc);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "churn: an unrelated flow 62 added");
	ponte_dp_sync(dp);
	CHECK(sent_to(ga.port, 2, &nat), "churn: after it, 60 still sends to the latched source");
	CHECK(ponte_dp_flow_delete(dp, 62) == 0, "churn: 62 deleted");
	ponte_dp_sync(dp);
	CHECK(sent_to(ga.port, 3, &nat), "churn: and after that too");
	/* 61 goes, no packet of 60 meanwhile (the slot it remembers is 61's still); 61's slot
	 * retired (past its grace period, on the free list: a command collects it), then taken
	 * by a new latching flow 63 on the same port, latched elsewhere. */
	CHECK(ponte_dp_flow_delete(dp, 61) == 0, "churn: 61 deleted");
	ponte_dp_sync(dp);
	for (int k = 0; k < 3; k++) {
		ponte_flow_spec_init(&spec, 64 + k, pc);
		ponte_dp_flow_add(dp, &spec);
		ponte_dp_sync(dp);
		ponte_dp_flow_delete(dp, 64 + k);
		ponte_dp_sync(dp);
	}
	ponte_flow_spec_init(&spec, 63, pb);
	spec.is_latching = true;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "churn: a new latching flow 63 on 61's port");
	ponte_dp_sync(dp);
	c_slot = slot_of(63);
	CHECK(c_slot != NULL && c_slot == a_slot, "churn: 63 has the slot that was 61's (%p, %p)",
	      (void *)c_slot, (void *)a_slot);
	len = make_rtp(rtp, 0, 1, 0, 0x6363, 160);
	udp4(&f, peer_mac, "203.0.113.82", 41000, "127.0.0.1", gb.port, rtp, len);
	put(nic.rx[0], &f);
	CHECK(quiet(nic.tx[0]), "churn: 63 latches another source");
	CHECK(sent_to(ga.port, 4, &sdp),
	      "churn: 60, still naming 61, sends to its SDP address, not to 63's source");
	CHECK(sent_to(ga.port, 5, &sdp), "churn: and goes on doing so");
	CHECK(ponte_dp_flow_delete(dp, 60) == 0 && ponte_dp_flow_delete(dp, 63) == 0 &&
		  ponte_dp_port_close(dp, pa) == 0 && ponte_dp_port_close(dp, pb) == 0 &&
		  ponte_dp_port_close(dp, pc) == 0,
	      "churn: flows and ports removed");
	ponte_dp_sync(dp);
}

static void test_frames(void)
{
	struct ponte_dp_lcore_stats st;
	struct frame f, g;
	uint8_t rtp[256];
	size_t len;

	/* Garbage of every kind, dropped by reason. */
	len = make_rtp(rtp, 0, 1, 160, 0x1111, 20);
	f.len = 10;
	memset(f.b, 0, 10);
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.b[14] = 0x55; /* IPv4 EtherType, version 5 */
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.b[16] = 0x05; /* total length 1280+: beyond the frame */
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.b[24] ^= 0x40; /* header checksum */
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.b[14 + 20 + 4] = 0x10; /* UDP length 4096+: beyond the datagram */
	put(nic.rx[0], &f);
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.len = 14 + 20 + 4; /* cut inside the UDP header */
	f.b[17] = 24;	     /* total length says so, the IP header checksum too */
	f.b[24] = f.b[25] = 0;
	{
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);

		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	put(nic.rx[0], &f);
	udp6(&f, peer_mac, "2001:db8::2", 5000, "2001:db8::1", 40000, rtp, len);
	f.b[14] = 0x45; /* IPv6 EtherType, version 4 */
	put(nic.rx[0], &f);
	st = lstats(0);
	CHECK(st.drops[PONTE_DP_DROP_TRUNCATED] == 2, "truncated frames dropped and counted (%llu)",
	      (unsigned long long)st.drops[PONTE_DP_DROP_TRUNCATED]);
	CHECK(st.drops[PONTE_DP_DROP_BAD_VERSION] == 2,
	      "wrong IP version for the EtherType dropped and counted, v4 and v6");
	CHECK(st.drops[PONTE_DP_DROP_BAD_LENGTH] == 2,
	      "IP and UDP lengths beyond the frame dropped and counted");
	CHECK(st.drops[PONTE_DP_DROP_BAD_CHECKSUM] == 1, "a bad IPv4 header checksum dropped");
	CHECK(st.rx_pkts == 7 && st.to_kernel == 0 && quiet(nic.tx[0]) && quiet(exc.tx[0]),
	      "none of them went anywhere");

	/* The kernel's business: to the exception port, as they came. */
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	{
		/* IHL 6: a 4-byte option (NOP x4), lengths and checksum made right. */
		memmove(f.b + 38, f.b + 34, f.len - 34);
		memset(f.b + 34, 1, 4);
		f.len += 4;
		f.b[14] = 0x46;
		f.b[17] = (uint8_t)(f.b[17] + 4);
		f.b[24] = f.b[25] = 0;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);

		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len && memcmp(g.b, f.b, f.len) == 0,
	      "IPv4 options: to the kernel unchanged");
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40000, rtp, len);
	f.b[20] = 0x20; /* MF */
	f.b[24] = f.b[25] = 0;
	((struct rte_ipv4_hdr *)(f.b + 14))->hdr_checksum =
	    rte_ipv4_cksum((struct rte_ipv4_hdr *)(f.b + 14));
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len, "a fragment: to the kernel");
	memset(f.b, 0xff, 6);
	memcpy(f.b + 6, peer_mac, 6);
	f.b[12] = 0x08;
	f.b[13] = 0x06;
	memset(f.b + 14, 0, 28);
	f.len = 60;
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.b[12] == 0x08 && g.b[13] == 0x06, "ARP: to the kernel");
	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40999, rtp, len);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len, "RTP to a port of nobody: to the kernel");
	st = lstats(0);
	CHECK(st.to_kernel == 4 && st.ip_options == 1 && st.fragments == 1,
	      "counted: to_kernel %llu, ip_options %llu, fragments %llu",
	      (unsigned long long)st.to_kernel, (unsigned long long)st.ip_options,
	      (unsigned long long)st.fragments);
}

/* The UDP checksum where the NIC says nothing of it (ring ports: no L4 verdict), checked in
 * software: a flipped bit dropped, a zero checksum taken over IPv4 only, and a veth peer's
 * CHECKSUM_PARTIAL (the field holding the pseudo-header's sum) taken, completed for the kernel
 * and counted. */
static void test_udp_cksum(void)
{
	struct ponte_dp_lcore_stats st0 = lstats(0), st;
	struct frame f, g;
	uint8_t rtp[256];
	size_t len = make_rtp(rtp, 0, 1, 160, 0x1111, 160);
	uint16_t good;
	bool is_quiet;

	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40999, rtp, len);
	f.b[14 + 20 + 8 + 40] ^= 0x04; /* one payload bit */
	put(nic.rx[0], &f);
	udp6(&f, peer_mac, "2001:db8::2", 5000, "2001:db8::1", 40999, rtp, len);
	f.b[14 + 40 + 8 + 99] ^= 0x80;
	put(nic.rx[0], &f);
	udp6(&f, peer_mac, "2001:db8::2", 5000, "2001:db8::1", 40999, rtp, len);
	f.b[14 + 40 + 6] = f.b[14 + 40 + 7] = 0; /* RFC 8200 §8.1: invalid */
	put(nic.rx[0], &f);
	is_quiet = quiet(exc.tx[0]) && quiet(nic.tx[0]); /* the lcore's time to take them */
	st = lstats(0);
	CHECK(st.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM] - st0.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM] ==
		      3 &&
		  st.to_kernel == st0.to_kernel && is_quiet,
	      "a flipped payload bit (v4, v6) and a zero IPv6 UDP checksum: dropped, counted "
	      "bad_udp_checksum (%llu), not to the kernel",
	      (unsigned long long)(st.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM] -
				   st0.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM]));

	udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40999, rtp, len);
	f.b[14 + 20 + 6] = f.b[14 + 20 + 7] = 0; /* RFC 768: no checksum */
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g) && g.len == f.len && memcmp(g.b, f.b, f.len) == 0,
	      "a zero IPv4 UDP checksum (none sent): taken, to the kernel unchanged");
	for (int is_v6 = 0; is_v6 < 2; is_v6++) {
		unsigned off = 14 + (is_v6 ? 40 : 20);
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(f.b + off);

		if (is_v6) {
			udp6(&f, peer_mac, "2001:db8::2", 5000, "2001:db8::1", 40999, rtp, len);
			good = u->dgram_cksum;
			u->dgram_cksum = rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(f.b + 14), 0);
		} else {
			udp4(&f, peer_mac, "192.0.2.2", 5000, "192.0.2.1", 40999, rtp, len);
			good = u->dgram_cksum;
			/* What Linux leaves for the offload (udp4_hwcsum()): the folded
			 * pseudo-header sum, not complemented. */
			u->dgram_cksum = rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)(f.b + 14), 0);
		}
		put(nic.rx[0], &f);
		u->dgram_cksum = good;
		CHECK(take(exc.tx[0], &g) && g.len == f.len && memcmp(g.b, f.b, f.len) == 0,
		      "IPv%d, a sender's unfinished checksum offload (CHECKSUM_PARTIAL): taken, to "
		      "the kernel with the checksum completed",
		      is_v6 ? 6 : 4);
	}
	st = lstats(0);
	CHECK(st.udp_cksum_partial - st0.udp_cksum_partial == 2 &&
		  st.to_kernel - st0.to_kernel == 3 &&
		  st.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM] -
			  st0.drops[PONTE_DP_DROP_BAD_UDP_CHECKSUM] ==
		      3,
	      "counted: udp_cksum_partial +%llu, to_kernel +%llu",
	      (unsigned long long)(st.udp_cksum_partial - st0.udp_cksum_partial),
	      (unsigned long long)(st.to_kernel - st0.to_kernel));
}

static void test_flows(void)
{
	const struct dp_srtp_engine *eng = dp_srtp_engine_default();
	struct ponte_addr gw, gw6, peer, peer6, far;
	struct ponte_srtp_key k_in, k_out;
	struct dp_srtp *peer_tx, *peer_rx;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_dp_lcore_stats st0, st;
	struct frame f, g;
	struct seen s;
	struct ponte_dp_punt punt;
	uint8_t rtp[512], srtp[512], copy[512];
	size_t len, slen;
	uint32_t p1 = 0, p6 = 0, pa = 0;
	int fd;

	/* Ports: owned ones on 192.0.2.1 and 2001:db8::1 are not bindable here; the test's ring
	 * NIC has no kernel interface, so any local address is the fast path's. Use loopback
	 * ones that bind, and frames addressed to them. */
	ponte_addr_parse(&gw, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, &gw, 0, 0, &p1) == 0 && gw.port != 0,
	      "open an owned port on 127.0.0.1:%u", gw.port);
	ponte_addr_parse(&gw6, "::1", 0);
	CHECK(ponte_dp_port_open(dp, &gw6, 0, 0, &p6) == 0 && gw6.port != 0,
	      "open an owned port on [::1]:%u", gw6.port);
	ponte_addr_parse(&peer, "198.51.100.7", 5004);
	ponte_addr_parse(&peer6, "2001:db8::7", 5006);
	ponte_addr_parse(&far, "203.0.113.99", 7000);

	/* No flow yet: RTP and STUN to the owned port are punted. */
	len = make_rtp(rtp, 0, 1, 160, 0x1111, 20);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, rtp, len);
	put(nic.rx[0], &f);
	{
		uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};

		udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, stun, 20);
		put(nic.rx[0], &f);
	}
	st = lstats(0);
	CHECK(ponte_dp_punt_read(dp, &punt) == 1 && punt.port_id == p1 && punt.len == len &&
		  ponte_addr_equal(&punt.src, &peer),
	      "RTP of no flow on an owned port: punted with its source");
	CHECK(ponte_dp_punt_read(dp, &punt) == 1 && punt.len == 20 && punt.data[0] == 0,
	      "STUN on an owned port: punted");
	CHECK(ponte_dp_punt_read(dp, &punt) == 0, "nothing more punted");
	CHECK(st.no_flow == 1 && st.punted == 2, "counted: no_flow %llu, punted %llu",
	      (unsigned long long)st.no_flow, (unsigned long long)st.punted);

	/* A flow: SRTP (AES-CM-80) from the peer, back to it as GCM with SSRC and PT rewritten. */
	key_fill(&k_in, PONTE_SRTP_AES128_CM_SHA1_80, 7);
	key_fill(&k_out, PONTE_SRTP_AEAD_AES_128_GCM, 40);
	eng->create(&k_in, DP_SRTP_PROTECT, &peer_tx);
	eng->create(&k_out, DP_SRTP_UNPROTECT, &peer_rx);
	ponte_flow_spec_init(&spec, 10, p1);
	spec.src = peer;
	spec.srtp = k_in;
	o = ponte_flow_add_output(&spec, p1, &peer);
	o->srtp = k_out;
	o->pt_map[0] = 8;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1111, .to = 0x2222, .seq_delta = 10};
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add an SRTP flow on the owned port");
	CHECK(ponte_dp_flow_add(dp, &spec) == -EEXIST, "the same id again: -EEXIST");
	spec.id = 11;
	CHECK(ponte_dp_flow_add(dp, &spec) == -EEXIST, "the same port and source: -EEXIST");
	spec.port_id = 31;
	CHECK(ponte_dp_flow_add(dp, &spec) == -ENOENT, "an unknown port: -ENOENT");
	ponte_dp_sync(dp);
	st0 = lstats(0);

	len = make_rtp(rtp, 0, 100, 16000, 0x1111, 160);
	memcpy(srtp, rtp, len);
	slen = len;
	eng->rtp(peer_tx, srtp, &slen, sizeof(srtp));
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, srtp, slen);
	put(nic.rx[0], &f);
	CHECK(take(nic.tx[0], &g), "the flow's output leaves through the NIC");
	s = look(&g);
	CHECK(s.is_ok, "IPv4 header and UDP checksums are right");
	CHECK(memcmp(s.dmac, peer_mac, 6) == 0,
	      "to the MAC the peer's own frame came from (learned, not configured)");
	CHECK(ponte_addr_equal(&s.src, &gw) && ponte_addr_equal(&s.dst, &peer),
	      "from the port's address to the peer's");
	len = s.plen;
	memcpy(copy, s.payload, len);
	CHECK(eng->rtp(peer_rx, copy, &len, sizeof(copy)) == 0 && copy[1] == 8 &&
		  rd32(copy + 8) == 0x2222 && (copy[2] << 8 | copy[3]) == 110 &&
		  memcmp(copy + 12, rtp + 12, 160) == 0,
	      "unprotected, rewritten (PT 0->8, SSRC, seq +10), protected with the output's key");

	/* The same SRTP packet again, then a forged one (a later packet, its tag changed). */
	put(nic.rx[0], &f);
	{
		uint8_t forged[512];
		size_t flen = make_rtp(forged, 0, 150, 17000, 0x1111, 160);

		eng->rtp(peer_tx, forged, &flen, sizeof(forged));
		forged[flen - 1] ^= 0x01;
		udp4(&g, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, forged, flen);
		put(nic.rx[0], &g);
	}
	/* Quiet first: ponte_dp_sync() waits for the lcore's next quiescent state, which may
	 * come between the two frames' bursts on a loaded machine. */
	CHECK(quiet(nic.tx[0]), "neither the replay nor the forgery is sent");
	st = lstats(0);
	CHECK(st.srtp_replay - st0.srtp_replay == 1 && st.srtp_auth_fail - st0.srtp_auth_fail == 1,
	      "the lcore counts one replay and one authentication failure");
	CHECK(fstats(10).drops[PONTE_DROP_REPLAY] == 1 && fstats(10).drops[PONTE_DROP_AUTH] == 1,
	      "and so does the flow");
	CHECK(st.fast_pkts - st0.fast_pkts == 3, "three frames through the pipeline");

	/* The peer's frames come from another MAC (a router's failover): what the flow sends
	 * goes there from the packet after the first one that showed it, although the flow had
	 * seen the table hold the old one (the lookup it saves per packet, lcore.c's
	 * learn_src()). */
	{
		static const uint8_t new_mac[6] = {0x02, 0, 0, 0, 0, 0x33};
		const uint8_t *want[4] = {peer_mac, NULL, new_mac, new_mac};
		bool is_ok = true;

		for (unsigned i = 0; i < 4; i++) {
			len = make_rtp(rtp, 0, (uint16_t)(160 + i), 18000 + 160 * i, 0x1111, 160);
			memcpy(srtp, rtp, len);
			slen = len;
			eng->rtp(peer_tx, srtp, &slen, sizeof(srtp));
			udp4(&f, i == 0 ? peer_mac : new_mac, "198.51.100.7", 5004, "127.0.0.1",
			     gw.port, srtp, slen);
			put(nic.rx[0], &f);
			if (!take(nic.tx[0], &g)) {
				is_ok = false;
				break;
			}
			s = look(&g);
			if (want[i] != NULL && memcmp(s.dmac, want[i], 6) != 0)
				is_ok = false;
		}
		CHECK(is_ok, "the peer's new MAC is learnt at once, the old one forgotten");
	}

	/* A port-wide plain flow on IPv6, output to an address nobody has seen: the kernel's
	 * path, which this ring NIC lacks, so the flow counts a transmit drop. */
	ponte_flow_spec_init(&spec, 20, p6);
	o = ponte_flow_add_output(&spec, p6, &peer6);
	o = ponte_flow_add_output(&spec, p1, &far);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "add a port-wide plain flow on [::1]");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 96, 7, 90000, 0x3333, 100);
	udp6(&f, peer_mac, "2001:db8::7", 5006, "::1", gw6.port, rtp, len);
	put(nic.rx[0], &f);
	CHECK(take(nic.tx[0], &g), "IPv6 media forwarded");
	s = look(&g);
	CHECK(s.is_ok && s.src.family == AF_INET6 && ponte_addr_equal(&s.dst, &peer6) &&
		  s.plen == len && memcmp(s.payload, rtp, len) == 0 &&
		  memcmp(s.dmac, peer_mac, 6) == 0,
	      "IPv6: UDP checksum right, payload as sent, to the learned MAC");
	CHECK(quiet(nic.tx[0]) && fstats(20).drops[PONTE_DROP_TX] == 1,
	      "the output to an unknown next hop, with no kernel path, is a counted drop");

	/* The kernel sends to that address: its frame goes out, and teaches the next hop; a
	 * short one (a 2-byte keep-alive, shorter than any IPv6 frame) teaches it too. */
	udp4(&f, router_mac, "127.0.0.1", 9, "203.0.113.99", 7000, rtp, 2);
	memcpy(f.b, router_mac, 6);
	memcpy(f.b + 6, gw_mac, 6);
	put(exc.rx[0], &f);
	CHECK(take(nic.tx[0], &g) && g.len == f.len && memcmp(g.b, f.b, f.len) == 0,
	      "a frame from the kernel goes out through the NIC unchanged");
	udp6(&f, peer_mac, "2001:db8::7", 5006, "::1", gw6.port, rtp, len);
	put(nic.rx[0], &f);
	{
		bool has_far = false, has_peer = false;

		for (int i = 0; i < 2 && take(nic.tx[0], &g); i++) {
			s = look(&g);
			if (s.dst.family == AF_INET && memcmp(s.dmac, router_mac, 6) == 0 &&
			    s.is_ok)
				has_far = true;
			if (s.dst.family == AF_INET6)
				has_peer = true;
		}
		CHECK(has_far && has_peer,
		      "then media to it goes to the MAC the kernel chose (its router's)");
	}

	/* An attached socket elsewhere than the NIC's addresses: input from its reader. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

		bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	CHECK(ponte_dp_port_attach(dp, fd, &pa) == 0, "attach a socket");
	ponte_flow_spec_init(&spec, 30, pa);
	o = ponte_flow_add_output(&spec, p1, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a port-wide flow on it");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 0, 9, 1, 0x4444, 40);
	CHECK(ponte_dp_input(dp, pa, &peer, rtp, len) == 0, "ponte_dp_input() takes a packet");
	CHECK(take(nic.tx[0], &g) && (s = look(&g)).is_ok && s.plen == len &&
		  memcmp(s.payload, rtp, len) == 0,
	      "which the flow sends out through the NIC");

	/* Control -> wire, and inject. */
	CHECK(ponte_dp_send(dp, p1, &peer, (const uint8_t *)"hello", 5) == 0, "ponte_dp_send()");
	CHECK(take(nic.tx[0], &g) && (s = look(&g)).is_ok && s.plen == 5 &&
		  memcmp(s.payload, "hello", 5) == 0 && ponte_addr_equal(&s.src, &gw),
	      "sent as it is, from the port's address");
	len = make_rtp(rtp, 0, 500, 1, 0x1111, 10);
	CHECK(ponte_dp_flow_inject(dp, 10, 0, rtp, len) == 0, "inject through flow 10");
	CHECK(take(nic.tx[0], &g) && (s = look(&g)).is_ok && s.plen == len + 16,
	      "injected, rewritten and protected (GCM tag)");

	/* Modify: the SRTP state goes on (the replayed packet stays refused). */
	ponte_flow_spec_init(&spec, 10, p1);
	spec.src = peer;
	spec.srtp = k_in;
	o = ponte_flow_add_output(&spec, p1, &peer);
	o->srtp = k_out;
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify the SRTP flow");
	ponte_dp_sync(dp);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, srtp, slen);
	put(nic.rx[0], &f);
	CHECK(quiet(nic.tx[0]) && fstats(10).drops[PONTE_DROP_REPLAY] == 2,
	      "after a modify, the old packet is still a replay (the context went on)");
	len = make_rtp(rtp, 0, 101, 16160, 0x1111, 160);
	memcpy(srtp, rtp, len);
	slen = len;
	eng->rtp(peer_tx, srtp, &slen, sizeof(srtp));
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", gw.port, srtp, slen);
	put(nic.rx[0], &f);
	CHECK(take(nic.tx[0], &g) && (s = look(&g)).is_ok, "and the next one passes");
	/* A modify to another source: a new key in the table, the same state. */
	spec.src = far;
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "modify the flow to another source");
	ponte_dp_sync(dp);
	put(nic.rx[0], &f);
	CHECK(quiet(nic.tx[0]) && ponte_dp_punt_read(dp, &punt) == 1,
	      "the old source is no flow's any more: punted");
	CHECK(fstats(10).rtp_in == 6, "the flow's counters went on (rtp_in %llu: 2 and the 4 of "
				     "the MAC change)",
	      (unsigned long long)fstats(10).rtp_in);

	/* Delete. */
	CHECK(ponte_dp_flow_delete(dp, 20) == 0 && ponte_dp_flow_delete(dp, 20) == -ENOENT,
	      "delete a flow (twice: -ENOENT)");
	ponte_dp_sync(dp);
	st0 = lstats(0);
	udp6(&f, peer_mac, "2001:db8::7", 5006, "::1", gw6.port, rtp, 20);
	put(nic.rx[0], &f);
	st = lstats(0);
	CHECK(quiet(nic.tx[0]) && st.no_flow - st0.no_flow == 1 && st.punted - st0.punted == 1,
	      "its packets are no flow's: punted");
	while (ponte_dp_punt_read(dp, &punt) == 1)
		;
	CHECK(st.nb_flows == 2, "the lcore owns 2 flows (%u)", st.nb_flows);
	CHECK(ponte_dp_port_close(dp, p6) == 0 && ponte_dp_port_close(dp, p6) == -ENOENT,
	      "close a port (twice: -ENOENT)");
	udp6(&f, peer_mac, "2001:db8::7", 5006, "::1", gw6.port, rtp, 20);
	put(nic.rx[0], &f);
	CHECK(take(exc.tx[0], &g), "a closed port's packets go to the kernel");
	{
		struct ponte_dp_stats ds;

		ponte_dp_get_stats(dp, &ds);
		CHECK(ds.rx_pkts > 20 && ds.tx_pkts >= 8 && ds.nb_flows == 2 && ds.nb_ports == 2,
		      "dataplane totals: rx %llu, tx %llu, %u flows, %u ports",
		      (unsigned long long)ds.rx_pkts, (unsigned long long)ds.tx_pkts, ds.nb_flows,
		      ds.nb_ports);
	}
	eng->destroy(peer_tx);
	eng->destroy(peer_rx);
	close(fd);
}

/* Flow rtp_in of id reaching want within a second. */
static bool xt_wait(uint64_t id, uint64_t want)
{
	for (int i = 0; i < 1000; i++) {
		if (fstats(id).rtp_in == want)
			return true;
		usleep(1000);
	}
	printf("# flow %llu: rtp_in %llu, want %llu\n", (unsigned long long)id,
	       (unsigned long long)fstats(id).rtp_in, (unsigned long long)want);
	return false;
}

static void xt_send(const char *src, uint16_t sport, uint16_t dport, unsigned nb)
{
	static uint16_t seq = 1;
	uint8_t rtp[256];
	struct frame f;

	for (unsigned i = 0; i < nb; i++) {
		size_t len = make_rtp(rtp, 0, seq, 160u * seq, 0x7777, 40);

		seq++;

		udp4(&f, peer_mac, src, sport, "127.0.0.1", dport, rtp, len);
		put(nic.rx[0], &f);
	}
}

/* An exact flow beside a port-wide one on the same address, added and removed while frames of
 * both come (the lcore's port-wide-first lookup and struct fslot.has_exact). */
static void test_exact_beside_any(void)
{
	struct ponte_addr gw, x, y;
	struct ponte_flow_spec spec;
	uint32_t p = 0;
	uint64_t a = 0, b = 0;

	ponte_addr_parse(&gw, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, &gw, 0, 0, &p) == 0, "xt: a port");
	ponte_addr_parse(&x, "198.51.100.71", 5004);
	ponte_addr_parse(&y, "198.51.100.72", 5008);
	ponte_flow_spec_init(&spec, 100, p);
	ponte_flow_add_output(&spec, p, &y);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "xt: a port-wide flow");
	ponte_dp_sync(dp);
	for (int i = 0; i < 4; i++) {
		xt_send("198.51.100.72", 5008, gw.port, 3);
		xt_send("198.51.100.71", 5004, gw.port, 1);
	}
	a += 16;
	CHECK(xt_wait(100, a), "xt: all to the port-wide flow");
	ponte_flow_spec_init(&spec, 101, p);
	spec.src = x;
	ponte_flow_add_output(&spec, p, &x);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "xt: an exact flow beside it");
	ponte_dp_sync(dp);
	for (int i = 0; i < 4; i++) {
		xt_send("198.51.100.72", 5008, gw.port, 5);
		xt_send("198.51.100.71", 5004, gw.port, 1);
	}
	a += 20;
	b += 4;
	CHECK(xt_wait(100, a) && xt_wait(101, b),
	      "xt: the exact flow's remote to it, among port-wide frames");
	xt_send("198.51.100.71", 5004, gw.port, 3);
	b += 3;
	CHECK(xt_wait(101, b) && xt_wait(100, a), "xt: and alone");
	CHECK(ponte_dp_flow_delete(dp, 101) == 0, "xt: delete the exact flow");
	ponte_dp_sync(dp);
	xt_send("198.51.100.72", 5008, gw.port, 3);
	xt_send("198.51.100.71", 5004, gw.port, 2);
	a += 5;
	CHECK(xt_wait(100, a), "xt: its remote back to the port-wide flow");
	/* The exact flow first, then the port-wide one. */
	CHECK(ponte_dp_flow_delete(dp, 100) == 0, "xt: delete the port-wide flow");
	ponte_flow_spec_init(&spec, 101, p);
	spec.src = x;
	ponte_flow_add_output(&spec, p, &x);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "xt: the exact flow again");
	ponte_flow_spec_init(&spec, 100, p);
	ponte_flow_add_output(&spec, p, &y);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "xt: then the port-wide one");
	ponte_dp_sync(dp);
	a = b = 0;
	for (int i = 0; i < 4; i++) {
		xt_send("198.51.100.72", 5008, gw.port, 4);
		xt_send("198.51.100.71", 5004, gw.port, 2);
	}
	a += 16;
	b += 8;
	CHECK(xt_wait(100, a) && xt_wait(101, b), "xt: each to its own");
	/* A modify that moves the exact flow to the other remote. */
	ponte_flow_spec_init(&spec, 101, p);
	spec.src = y;
	ponte_flow_add_output(&spec, p, &y);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "xt: the exact flow to the other remote");
	ponte_dp_sync(dp);
	xt_send("198.51.100.72", 5008, gw.port, 2);
	xt_send("198.51.100.71", 5004, gw.port, 3);
	a += 3;
	b += 2;
	CHECK(xt_wait(100, a) && xt_wait(101, b), "xt: each to its own after the modify");
	CHECK(ponte_dp_flow_delete(dp, 101) == 0 && ponte_dp_flow_delete(dp, 100) == 0,
	      "xt: delete both");
	ponte_dp_sync(dp);
	ponte_dp_port_close(dp, p);
	drain(nic.tx[0]);
	drain(exc.tx[0]);
	{
		struct ponte_dp_punt punt;

		while (ponte_dp_punt_read(dp, &punt) == 1)
			;
	}
}

/* ---- two lcores ---- */

/* A punt within 1 s. */
static bool take_punt(struct ponte_dp_punt *punt)
{
	for (int i = 0; i < 1000; i++) {
		if (ponte_dp_punt_read(dp, punt) == 1)
			return true;
		usleep(1000);
	}
	return false;
}

/* A group of two flows owned by lcore 0 whose frames all land on lcore 1 (the NIC has no
 * steering rules) moves to lcore 1 once the control thread looks (steer.c): no frame lost,
 * none handed over afterwards, the flows' counters carried on. */
static void test_move(struct ring_port *nic2)
{
	struct ponte_addr gw3, gw4, peer;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_dp_stats ds;
	struct ponte_dp_punt punt;
	struct ponte_dp_lcore_stats a0, b0, a, b;
	uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	uint8_t rtp[64];
	struct frame f, g;
	uint32_t p3 = 0, p4 = 0;
	unsigned nb_out = 0;

	ponte_addr_parse(&gw3, "127.0.0.1", 0);
	ponte_addr_parse(&gw4, "127.0.0.1", 0);
	ponte_addr_parse(&peer, "198.51.100.20", 7000);
	ponte_dp_port_open(dp, &gw3, 0, 0, &p3);
	ponte_dp_port_open(dp, &gw4, 0, 0, &p4);
	/* Its first frame on lcore 0's queue: the group is owned there. */
	udp4(&f, peer_mac, "198.51.100.20", 7000, "127.0.0.1", gw3.port, stun, 20);
	put(nic2->rx[0], &f);
	CHECK(take_punt(&punt) && punt.port_id == p3, "STUN on a third port, received by lcore 0");
	a0 = lstats(0);
	b0 = lstats(1);
	ponte_flow_spec_init(&spec, 30, p3);
	ponte_flow_add_output(&spec, p3, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on it");
	ponte_flow_spec_init(&spec, 31, p4);
	o = ponte_flow_add_output(&spec, p4, &peer);
	o->dst_latch_flow = 30;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow tied to it (dst_latch_flow)");
	a = lstats(0);
	CHECK(a.nb_flows == a0.nb_flows + 2, "both owned by lcore 0 (%u)", a.nb_flows);
	/* Every frame of the flow lands on lcore 1's queue, and is handed over. */
	for (uint16_t i = 0; i < 100; i++) {
		size_t len = make_rtp(rtp, 0, (uint16_t)(100 + i), 160u * i, 0x7777, 20);

		udp4(&f, peer_mac, "198.51.100.20", 7000, "127.0.0.1", gw3.port, rtp, len);
		put(nic2->rx[1], &f);
		if (i == 70) {
			/* Lcore 1 asked for a look (every 64 frames handed over): the control
			 * thread takes it when it reads its punts. */
			usleep(50000);
			ponte_dp_punt_read(dp, &punt);
		}
		usleep(500);
	}
	/* Out of either lcore's queue (lcore 0's before the move, lcore 1's after). */
	for (int t = 0; nb_out < 100 && t < 2000; t++) {
		for (unsigned q = 0; q < 2; q++)
			while (rte_ring_count(nic2->tx[q]) > 0 && take(nic2->tx[q], &g))
				nb_out += look(&g).is_ok;
		usleep(1000);
	}
	ponte_dp_get_stats(dp, &ds);
	a = lstats(0);
	b = lstats(1);
	CHECK(ds.flow_moves == 1, "the group moved once (%llu)", (unsigned long long)ds.flow_moves);
	CHECK(a.nb_flows == a0.nb_flows && b.nb_flows == b0.nb_flows + 2,
	      "both flows are lcore 1's now (%u, %u)", a.nb_flows, b.nb_flows);
	CHECK(nb_out == 100 && fstats(30).rtp_in == 100,
	      "no frame lost across the move (%u out, %llu in)", nb_out,
	      (unsigned long long)fstats(30).rtp_in);
	CHECK(b.handoffs - b0.handoffs >= 64 && b.handoffs - b0.handoffs < 100,
	      "handed over until the move only (%llu of 100)",
	      (unsigned long long)(b.handoffs - b0.handoffs));
	b0 = b;
	for (uint16_t i = 0; i < 20; i++) {
		size_t len = make_rtp(rtp, 0, (uint16_t)(200 + i), 160u * (100 + i), 0x7777, 20);

		udp4(&f, peer_mac, "198.51.100.20", 7000, "127.0.0.1", gw3.port, rtp, len);
		put(nic2->rx[1], &f);
	}
	nb_out = 0;
	while (nb_out < 20 && take(nic2->tx[1], &g))
		nb_out++;
	b = lstats(1);
	CHECK(nb_out == 20 && b.handoffs == b0.handoffs && quiet(nic2->tx[0]),
	      "then lcore 1 forwards them itself (%u out, %llu handed over)", nb_out,
	      (unsigned long long)(b.handoffs - b0.handoffs));
	CHECK(ponte_dp_flow_delete(dp, 30) == 0 && ponte_dp_flow_delete(dp, 31) == 0 &&
		  lstats(1).nb_flows == b0.nb_flows - 2,
	      "the moved flows are deleted by their new owner");
}

static void test_two_lcores(void)
{
	struct ring_port nic2, exc2;
	struct ponte_addr gw, peer;
	struct ponte_flow_spec spec;
	struct frame f, g;
	struct ponte_dp_lcore_stats a, b;
	uint8_t rtp[64];
	size_t len;
	uint32_t p = 0;
	int rc;

	ring_port_make(&nic2, "nic1", 2);
	ring_port_make(&exc2, "exc1", 2);
	cfg_reset();
	nic_cfg.device = nic2.name;
	dcfg.exception_device = exc2.name;
	dcfg.lcores = "0-1";
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create a dataplane on two lcores (%d)", rc);
	if (rc != 0)
		return;
	ponte_addr_parse(&gw, "127.0.0.1", 0);
	ponte_addr_parse(&peer, "198.51.100.8", 6000);
	ponte_dp_port_open(dp, &gw, 0, 0, &p);
	/* The first flow goes to lcore 0: its frames, received on queue 1 (lcore 1's), are
	 * handed over. */
	ponte_flow_spec_init(&spec, 1, p);
	ponte_flow_add_output(&spec, p, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a port-wide flow");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 0, 1, 1, 0x5555, 20);
	udp4(&f, peer_mac, "198.51.100.8", 6000, "127.0.0.1", gw.port, rtp, len);
	put(nic2.rx[1], &f);
	put(nic2.rx[0], &f);
	CHECK(take(nic2.tx[0], &g) && take(nic2.tx[0], &g) && look(&g).is_ok,
	      "both frames leave through the owner's queue");
	a = lstats(0);
	b = lstats(1);
	CHECK(a.nb_flows == 1 && b.nb_flows == 0, "lcore 0 owns the flow");
	CHECK(b.rx_pkts == 1 && b.handoffs == 1 && b.fast_pkts == 0,
	      "lcore 1 received one frame and handed it over");
	CHECK(a.rx_pkts == 1 && a.fast_pkts == 2, "lcore 0 ran both through the pipeline");
	CHECK(quiet(nic2.tx[1]), "nothing from lcore 1's queue");

	/* Steering: a port whose first frames (STUN, say) lcore 1 received gets its flows owned
	 * there, where RSS sends its media. */
	{
		struct ponte_addr gw2;
		uint32_t p2 = 0;
		uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
		struct ponte_dp_punt punt;

		ponte_addr_parse(&gw2, "127.0.0.1", 0);
		ponte_dp_port_open(dp, &gw2, 0, 0, &p2);
		udp4(&f, peer_mac, "198.51.100.9", 6002, "127.0.0.1", gw2.port, stun, 20);
		put(nic2.rx[1], &f);
		a = lstats(0);
		CHECK(ponte_dp_punt_read(dp, &punt) == 1 && punt.port_id == p2,
		      "STUN on a second port, received by lcore 1, punted");
		ponte_flow_spec_init(&spec, 2, p2);
		ponte_flow_add_output(&spec, p2, &peer);
		CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on that port");
		a = lstats(0);
		b = lstats(1);
		CHECK(a.nb_flows == 1 && b.nb_flows == 1, "is owned by lcore 1");
		udp4(&f, peer_mac, "198.51.100.9", 6002, "127.0.0.1", gw2.port, rtp, len);
		put(nic2.rx[1], &f);
		CHECK(take(nic2.tx[1], &g) && look(&g).is_ok && lstats(1).handoffs == 1,
		      "its media is forwarded by lcore 1, not handed over");
	}
	test_move(&nic2);
	ponte_dp_destroy(dp);
	dp = NULL;
	drain(nic2.tx[0]);
}

/* ---- dpdk.idle: interrupt ---- */

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, value, strlen(value));
		close(fd);
	}
}

/*
 * An lcore waiting for receive interrupts on a net_tap NIC: it uses no CPU while idle, and
 * wakes for each frame at once (not at the end of its 100 ms safety timeout). The TAPs live in
 * a network namespace of this thread's own; frames go in and out through a packet socket on
 * the NIC's kernel side. Last of the tests: this thread stays in that namespace.
 */
static void test_interrupt_idle(void)
{
	static const char *const addrs[] = {"10.99.0.1/24", NULL};
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct ponte_addr gw, peer;
	struct ponte_flow_spec spec;
	struct ponte_dp_lcore_stats a, b;
	double cpu0, t0, cpu, lat[20];
	unsigned nb_back = 0, nb_fast = 0;
	uint32_t p = 0;
	int fd, rc;

	if (unshare(CLONE_NEWNET) != 0) {
		printf("ok - # SKIP dpdk.idle: interrupt: no network namespace (%s)\n",
		       strerror(errno));
		return;
	}
	/* No IPv6 chatter (router solicitations, MLD) to wake the lcore. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	cfg_reset();
	nic_cfg.device = "net_tap_tnic,iface=ptnic0";
	dcfg.exception_device = "";
	dcfg.exception_tap = "ptexc0";
	dcfg.exception_addresses = addrs;
	dcfg.is_idle_interrupt = true;
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "a dataplane with dpdk.idle: interrupt on a net_tap NIC (%d)", rc);
	if (rc != 0) {
		printf("#   logged: %s", log_text);
		return;
	}
	ponte_addr_parse(&gw, "10.99.0.1", 0);
	ponte_addr_parse(&peer, "10.99.0.2", 7100);
	CHECK(ponte_dp_port_open(dp, &gw, 0, 0, &p) == 0, "a port on the TAP's address");
	/* An echo: back to where the frames come from, through their own MAC. */
	ponte_flow_spec_init(&spec, 40, p);
	ponte_flow_add_output(&spec, p, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on it");
	usleep(300000);

	a = lstats(0);
	cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_s(CLOCK_MONOTONIC);
	usleep(1000000);
	cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / (now_s(CLOCK_MONOTONIC) - t0);
	b = lstats(0);
	CHECK(cpu < 0.03, "idle, the process uses %.2f%% of a CPU (under 3%%; %llu waits)",
	      100 * cpu, (unsigned long long)(b.idle_sleeps - a.idle_sleeps));

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ll.sll_ifindex = (int)if_nametoindex("ptnic0");
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&ll, sizeof(ll)) == 0,
	      "a packet socket on the NIC's kernel side");
	for (unsigned i = 0; fd >= 0 && i < 20; i++) {
		uint8_t rtp[64];
		size_t len = make_rtp(rtp, 0, (uint16_t)(1 + i), 160u * i, 0x4444, 20);
		struct frame f;
		double start;

		udp4(&f, peer_mac, "10.99.0.2", 7100, "10.99.0.1", gw.port, rtp, len);
		/* Long enough for the lcore to be waiting again. */
		usleep(30000);
		start = now_s(CLOCK_MONOTONIC);
		lat[i] = 1;
		if (send(fd, f.b, f.len, 0) != (ssize_t)f.len)
			continue;
		while (now_s(CLOCK_MONOTONIC) - start < 0.5) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			struct sockaddr_ll from;
			socklen_t flen = sizeof(from);
			struct seen sn;

			if (poll(&pfd, 1, 50) <= 0)
				continue;
			f.len = (size_t)recvfrom(fd, f.b, sizeof(f.b), 0, (struct sockaddr *)&from,
						 &flen);
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			sn = look(&f);
			if (sn.is_ok && sn.dst.port == 7100 && sn.src.port == gw.port) {
				lat[i] = now_s(CLOCK_MONOTONIC) - start;
				nb_back++;
				nb_fast += lat[i] < 0.01;
				break;
			}
		}
	}
	CHECK(nb_back == 20, "media still flows: 20 RTP frames echoed of 20 (%u)", nb_back);
	CHECK(nb_fast >= 18,
	      "each woke the lcore at once: %u of 20 back within 10 ms (the timeout is 100 ms)",
	      nb_fast);
	CHECK(fstats(40).rtp_in == 20 && lstats(0).fast_pkts - b.fast_pkts == 20,
	      "through the fast path");
	if (fd >= 0)
		close(fd);
	ponte_dp_destroy(dp);
	dp = NULL;
}

/*
 * Steering rules on a two-queue net_tap NIC (in the namespace test_interrupt_idle() made):
 * each flow's frames reach its owner's queue, none is handed over, and the rule goes with the
 * flow. net_tap takes rules through tc flower; on a kernel without it (no CONFIG_NET_CLS_FLOWER,
 * no sch_multiq) the probe at start finds none, the frames are handed over, and this is
 * skipped.
 */
static void test_steering(void)
{
	static const char *const addrs[] = {"10.99.1.1/24", NULL};
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct ponte_addr gw, peer;
	struct ponte_flow_spec spec;
	struct ponte_dp_stats ds;
	unsigned nb_back = 0;
	uint32_t p = 0;
	int fd, rc;

	cfg_reset();
	nic_cfg.device = "net_tap_snic,iface=psnic0";
	dcfg.lcores = "0-1";
	dcfg.exception_device = "";
	dcfg.exception_tap = "psexc0";
	dcfg.exception_addresses = addrs;
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "a dataplane on two lcores with a two-queue net_tap NIC (%d)", rc);
	if (rc != 0)
		return;
	ponte_addr_parse(&gw, "10.99.1.1", 0);
	ponte_addr_parse(&peer, "10.99.1.2", 7200);
	ponte_dp_port_open(dp, &gw, 0, 0, &p);
	ponte_flow_spec_init(&spec, 50, p);
	ponte_flow_add_output(&spec, p, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow");
	ponte_dp_get_stats(dp, &ds);
	if (ds.steer_rules == 0) {
		CHECK(ds.steer_failed == 0,
		      "no rte_flow on this NIC: found at start, no rule tried for the flow");
		printf("ok - # SKIP steering: net_tap has no rte_flow rules on this kernel "
		       "(tc flower)\n");
		goto out;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ll.sll_ifindex = (int)if_nametoindex("psnic0");
	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)) != 0)
		goto out;
	for (unsigned i = 0; i < 50; i++) {
		uint8_t rtp[64];
		size_t len = make_rtp(rtp, 0, (uint16_t)(1 + i), 160u * i, 0x4545, 20);
		struct frame f;

		udp4(&f, peer_mac, "10.99.1.2", 7200, "10.99.1.1", gw.port, rtp, len);
		(void)!send(fd, f.b, f.len, 0);
	}
	for (int t = 0; nb_back < 50 && t < 100; t++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		struct frame f;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		f.len = (size_t)recvfrom(fd, f.b, sizeof(f.b), 0, (struct sockaddr *)&from, &flen);
		nb_back += from.sll_pkttype != PACKET_OUTGOING && look(&f).is_ok &&
			   look(&f).dst.port == 7200;
	}
	close(fd);
	CHECK(nb_back == 50 && lstats(0).handoffs == 0 && lstats(1).handoffs == 0,
	      "steered: 50 frames echoed (%u), none handed over (%llu, %llu)", nb_back,
	      (unsigned long long)lstats(0).handoffs, (unsigned long long)lstats(1).handoffs);
	ponte_dp_flow_delete(dp, 50);
	ponte_dp_get_stats(dp, &ds);
	CHECK(ds.steer_rules == 0, "the rule goes with the flow");
out:
	ponte_dp_destroy(dp);
	dp = NULL;
}

int main(void)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_config_errors();
	test_fkey_rx();
	rc = eal_start("test-dpdk");
	CHECK(rc >= 0, "the test's EAL starts (%d)", rc);
	if (rc < 0)
		return tap_done();
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ring_port_make(&nic, "nic0", 1);
	ring_port_make(&exc, "exc0", 1);

	test_late_errors();
	cfg_reset();
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && strcmp(ponte_dp_backend_name(dp), "dpdk") == 0,
	      "create the DPDK dataplane on ring ports (%d)", rc);
	if (rc == 0) {
		test_frames();
		test_udp_cksum();
		test_flows();
		test_exact_beside_any();
		test_latched_next_hop();
		test_latch_churn();
		ponte_dp_destroy(dp);
		dp = NULL;
	}
	test_two_lcores();
	test_interrupt_idle();
	test_steering();
	drain(nic.tx[0]);
	drain(exc.tx[0]);
	eal_stop("test-dpdk");
	return tap_done();
}
