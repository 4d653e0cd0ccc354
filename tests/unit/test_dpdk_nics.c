/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's NIC layouts, with the real EAL (--no-huge --no-pci) and ring ports, as
 * test_dpdk.c: several NICs (dpdk.ports[0..1], each with its own exception port and
 * addresses), VLANs, and frames larger than 1,500 bytes.
 *
 * Proves: the keys of several NICs are checked, each error naming its port; a NIC on a VLAN
 * (dpdk.ports[].vlan) forwards frames of its VLAN, tagged or stripped by the NIC, sends
 * tagged, gives the kernel untagged frames, and drops and counts untagged and other VLANs';
 * with two NICs a flow's media leaves through the NIC that holds its local address, next hops
 * are learnt per NIC, what the kernel sends on exception port k leaves through NIC k, and what
 * NIC k receives for the kernel goes to exception port k; two VLANs of one NIC are two NICs
 * that way, each frame's tag picking its own, and other VLANs' frames are dropped and counted;
 * dpdk.ports[].mtu is checked against the device, frames up to it (and chained ones) reach
 * the exception port intact, media up to the pipeline's largest packet go through the fast
 * path and larger ones to the kernel; frames for the kernel beyond the TAP's MTU are cut into
 * IP fragments (dpdk_kfrag()).
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
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <ponte/dataplane.h>

#include "dpdk/kfrag.h"
#include "dpdk/parse.h"
#include "srtp.h"
#include "dpdk_frames.h"
#include "dpdk_unit.h"
#include "tap.h"

/* Several NICs: each key named with its port. */
static void test_nics_config_errors(void)
{
	static const char *const bad_addrs[] = {"10.0.0.1", NULL};
	static const char *const addrs0[] = {"10.0.0.1/24", NULL}, *const addrs1[] = {
									 "10.1.0.1/24", NULL};
	static const char *const devs[] = {"net_ring_nic0", "net_ring_nic1", "net_ring_nic2",
					   "net_ring_nic3", "net_ring_nic4"};
	static const char *const taps[] = {"ponte0", "ponte1", "ponte2", "ponte3", "ponte4"};
	struct ponte_dp_dpdk_port two[9];

	for (unsigned i = 0; i < 9; i++)
		two[i] = (struct ponte_dp_dpdk_port){.device = devs[i % 5],
						     .exception_tap = taps[i % 5]};
	cfg_reset();
	dcfg.ports = two;
	dcfg.nb_ports = 9;
	expect_refused("nine NICs", -EINVAL, "dpdk.ports: 9 ports listed; at most 8");
	dcfg.ports = two;
	dcfg.nb_ports = 5;
	expect_refused("five devices", -EINVAL, "dpdk.ports[4].device: a device beyond the 4");
	for (unsigned i = 0; i < 5; i++)
		two[i] = (struct ponte_dp_dpdk_port){.device = "net_ring_nic0"};
	two[1].device = "net_ring_nic1";
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	dcfg.exception_tap = "ponte0";
	expect_refused("a second NIC without an exception port of its own", -EINVAL,
		       "dpdk.ports[1].exception_tap: 1 to 15 characters");
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	dcfg.exception_tap = "ponte0";
	two[1].exception_tap = "ponte0";
	expect_refused("two NICs on one TAP", -EINVAL,
		       "dpdk.ports[1].exception_tap: 'ponte0' is dpdk.ports[0]'s already");
	two[1].exception_tap = NULL;
	two[1].exception_device = "net_ring_exc1";
	two[1].device = "net_ring_nic0";
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("one device listed twice, both untagged", -EINVAL,
		       "dpdk.ports[1].vlan: dpdk.ports[0] is the untagged one of device "
		       "'net_ring_nic0' already");
	/* Several VLANs of one device. */
	two[0].vlan = two[1].vlan = 42;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("one device twice with the same VLAN", -EINVAL,
		       "dpdk.ports[1].vlan: 42 is dpdk.ports[0]'s already on device");
	two[1].vlan = 43;
	two[1].rx_desc = 512;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("two VLANs of a device with other descriptors", -EINVAL,
		       "dpdk.ports[1].rx_descriptors: 512, but 0 in dpdk.ports[0]");
	two[1].rx_desc = 0;
	two[1].device = "net_ring_nic0,x=1";
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("one device named with other arguments", -EINVAL,
		       "dpdk.ports[1].device: 'net_ring_nic0,x=1' names the device of "
		       "dpdk.ports[0]");
	two[1].device = "net_ring_nic0";
	two[0].exception_addresses = addrs0;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("a VLAN without addresses", -EINVAL,
		       "dpdk.ports[1].exception_addresses: empty: dpdk.ports[1] is a VLAN");
	two[1].exception_addresses = addrs0;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("two VLANs with one address", -EINVAL,
		       "dpdk.ports[1].exception_addresses[0]: '10.0.0.1/24': that address is "
		       "dpdk.ports[0]'s already");
	two[1].exception_addresses = addrs1;
	two[1].exception_device = "net_ring_exc0";
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	dcfg.exception_tap = "ponte0";
	two[1].exception_device = NULL;
	expect_refused("a VLAN without an exception port of its own", -EINVAL,
		       "dpdk.ports[1].exception_tap: 1 to 15 characters");
	two[0].vlan = two[1].vlan = 0;
	two[0].exception_addresses = two[1].exception_addresses = NULL;
	two[1].exception_device = "net_ring_exc1";
	two[1].device = "net_ring_nic1";
	two[1].exception_addresses = bad_addrs;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("an exception address of the second NIC without a prefix", -EINVAL,
		       "dpdk.ports[1].exception_addresses[0]: '10.0.0.1' is not ADDRESS/PREFIX");
	two[1].exception_addresses = NULL;
	two[1].vlan = 5000;
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	expect_refused("the second NIC's VLAN", -EINVAL, "dpdk.ports[1].vlan: 5000 is no VLAN id");
}

/* ---- a port on a VLAN ---- */

/* Put an 802.1Q tag (TPID tpid, TCI tci) behind the MAC addresses of f. */
static void tag(struct frame *f, uint16_t tpid, uint16_t tci)
{
	memmove(f->b + 16, f->b + 12, f->len - 12);
	f->b[12] = (uint8_t)(tpid >> 8);
	f->b[13] = (uint8_t)tpid;
	f->b[14] = (uint8_t)(tci >> 8);
	f->b[15] = (uint8_t)tci;
	f->len += 4;
}

/* Take f's 802.1Q tag out, its TCI in *tci; false when it has none. */
static bool untag(struct frame *f, uint16_t *tci)
{
	if (f->len < 18 || f->b[12] != 0x81 || f->b[13] != 0x00)
		return false;
	*tci = (uint16_t)(f->b[14] << 8 | f->b[15]);
	memmove(f->b + 12, f->b + 16, f->len - 16);
	f->len -= 4;
	return true;
}

/* An untagged frame as a NIC that stripped the tag gives it: VLAN flags and vlan_tci set. */
static void put_stripped(struct rte_ring *r, const struct frame *f, uint16_t tci)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), f->b, f->len);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = tci;
	rte_ring_enqueue(r, m);
}

/* dpdk_build() and dpdk_vlan_tag() on a port that inserts tags itself, and on one that does
 * not: the ring ports below have no offloads, so the first case is shown here. */
static void test_vlan_build(void)
{
	struct dpdk_tx_offload hw = {.vlan = 42, .has_vlan_insert = true};
	struct dpdk_tx_offload sw = {.vlan = 42};
	struct rte_ether_addr a = {{2, 0, 0, 0, 0, 1}}, b = {{2, 0, 0, 0, 0, 2}};
	struct ponte_addr src, dst;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	const uint8_t *fb;

	ponte_addr_parse(&src, "192.0.2.1", 4000);
	ponte_addr_parse(&dst, "192.0.2.2", 5000);
	memset(rte_pktmbuf_append(m, 20), 0xab, 20);
	CHECK(dpdk_build(m, &src, &dst, &a, &b, &hw) == 0 && (m->ol_flags & RTE_MBUF_F_TX_VLAN) &&
		  m->vlan_tci == 42 && m->l2_len == 14 &&
		  rte_pktmbuf_mtod_offset(m, uint8_t *, 12)[0] == 0x08,
	      "a port with VLAN insert offload: the tag is left to it (TX_VLAN, vlan_tci 42)");
	rte_pktmbuf_reset(m);
	memset(rte_pktmbuf_append(m, 20), 0xab, 20);
	fb = rte_pktmbuf_mtod(m, const uint8_t *);
	CHECK(dpdk_build(m, &src, &dst, &a, &b, &sw) == 0 && !(m->ol_flags & RTE_MBUF_F_TX_VLAN) &&
		  m->l2_len == 18 && (fb = rte_pktmbuf_mtod(m, const uint8_t *)) != NULL &&
		  fb[12] == 0x81 && fb[13] == 0 && fb[14] == 0 && fb[15] == 42 && fb[16] == 0x08 &&
		  fb[17] == 0x00 && rte_pktmbuf_pkt_len(m) == 18 + 20 + 8 + 20,
	      "without it, written in the frame (l2_len 18)");
	rte_pktmbuf_reset(m);
	memset(rte_pktmbuf_append(m, 60), 0, 60);
	CHECK(dpdk_vlan_tag(m, &hw) == 0 && (m->ol_flags & RTE_MBUF_F_TX_VLAN) &&
		  m->vlan_tci == 42 && rte_pktmbuf_pkt_len(m) == 60,
	      "a kernel frame on an offloading port: TX_VLAN");
	rte_pktmbuf_free(m);
}

/*
 * dpdk.ports[].vlan: 42 on two lcores. Frames tagged 42 (in the frame, or stripped by the NIC)
 * are media as usual, also when handed to the other lcore; what the fast path sends and what
 * the kernel sends leave tagged 42; the kernel sees its frames untagged; untagged frames and
 * other VLANs' are dropped and counted; next hops are learned from both sides as without one.
 */
static void test_vlan(void)
{
	struct ring_port nicv, excv;
	struct ponte_addr gw, peer, far;
	struct ponte_flow_spec spec;
	struct ponte_dp_lcore_stats a, b;
	struct frame f, g, plain;
	uint8_t rtp[64];
	size_t len;
	uint16_t tci = 0;
	uint32_t p = 0;
	unsigned nb_peer = 0, nb_far = 0, nb_bad = 0;
	int rc;

	test_vlan_build();
	ring_port_make(&nicv, "nicv", 2);
	ring_port_make(&excv, "excv", 2);
	cfg_reset();
	nic_cfg.device = nicv.name;
	nic_cfg.vlan = 42;
	dcfg.exception_device = excv.name;
	dcfg.lcores = "0-1";
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create a dataplane whose NIC is on VLAN 42 (%d)", rc);
	if (rc != 0)
		return;
	ponte_addr_parse(&gw, "127.0.0.1", 0);
	ponte_addr_parse(&peer, "198.51.100.30", 8000);
	ponte_addr_parse(&far, "203.0.113.50", 7000);
	ponte_dp_port_open(dp, &gw, 0, 0, &p);
	ponte_flow_spec_init(&spec, 1, p);
	ponte_flow_add_output(&spec, p, &peer);
	ponte_flow_add_output(&spec, p, &far);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a port-wide flow, to the peer and further");
	ponte_dp_sync(dp);

	/* The kernel's frame to far (untagged on the TAP): out tagged, and it teaches far's
	 * next hop. */
	udp4(&f, gw_mac, "127.0.0.1", 9, "203.0.113.50", 7000, rtp, 2);
	memcpy(f.b, router_mac, 6);
	memcpy(f.b + 6, gw_mac, 6);
	put(excv.rx[0], &f);
	CHECK(take(nicv.tx[0], &g) && untag(&g, &tci) && tci == 42 && g.len == f.len &&
		  memcmp(g.b, f.b, f.len) == 0,
	      "a frame from the kernel leaves tagged 42, otherwise unchanged");

	/* Media tagged 42 (priority 5: not looked at) in the frame, on lcore 0's queue; then
	 * stripped by the NIC; then on lcore 1's queue, handed to the owner. */
	len = make_rtp(rtp, 0, 1, 160, 0x6666, 20);
	udp4(&plain, peer_mac, "198.51.100.30", 8000, "127.0.0.1", gw.port, rtp, len);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 0xa000 | 42);
	put(nicv.rx[0], &f);
	put_stripped(nicv.rx[0], &plain, 42);
	put(nicv.rx[1], &f);
	for (int i = 0; i < 6 && take(nicv.tx[0], &g); i++) {
		struct seen s;

		if (!untag(&g, &tci) || tci != 42) {
			nb_bad++;
			continue;
		}
		s = look(&g);
		if (!s.is_ok || s.plen != len || memcmp(s.payload, rtp, len) != 0)
			nb_bad++;
		else if (ponte_addr_equal(&s.dst, &peer) && memcmp(s.dmac, peer_mac, 6) == 0)
			nb_peer++;
		else if (ponte_addr_equal(&s.dst, &far) && memcmp(s.dmac, router_mac, 6) == 0)
			nb_far++;
		else
			nb_bad++;
	}
	CHECK(nb_peer == 3 && nb_far == 3 && nb_bad == 0,
	      "3 frames of VLAN 42 (tag in the frame, stripped by the NIC, handed over) forwarded "
	      "to both outputs, each tagged 42, checksums right, to the MACs learned (%u, %u, "
	      "%u bad)",
	      nb_peer, nb_far, nb_bad);
	a = lstats(0);
	b = lstats(1);
	CHECK(a.fast_pkts == 3 && b.handoffs == 1 && b.fast_pkts == 0,
	      "counted fast path on the owner (%llu), one handed over",
	      (unsigned long long)a.fast_pkts);

	/* Not VLAN 42: dropped and counted. */
	put(nicv.rx[0], &plain);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 43);
	put(nicv.rx[0], &f);
	put_stripped(nicv.rx[0], &plain, 43);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_QINQ, 42);
	put(nicv.rx[1], &f);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 42);
	f.len = 16; /* cut in the tag */
	put(nicv.rx[1], &f);
	CHECK(quiet(nicv.tx[0]) && quiet(nicv.tx[1]) && rte_ring_count(excv.tx[0]) == 0 &&
		  rte_ring_count(excv.tx[1]) == 0,
	      "untagged, VLAN 43 (in the frame and stripped), 802.1ad: nothing out, nothing to "
	      "the kernel (%u %u %u %u)", rte_ring_count(nicv.tx[0]), rte_ring_count(nicv.tx[1]),
	      rte_ring_count(excv.tx[0]), rte_ring_count(excv.tx[1]));
	a = lstats(0);
	b = lstats(1);
	CHECK(a.drops[PONTE_DP_DROP_WRONG_VLAN] + b.drops[PONTE_DP_DROP_WRONG_VLAN] == 4 &&
		  b.drops[PONTE_DP_DROP_TRUNCATED] == 1 && a.fast_pkts == 3,
	      "4 counted wrong_vlan (%llu + %llu), a cut tag truncated",
	      (unsigned long long)a.drops[PONTE_DP_DROP_WRONG_VLAN],
	      (unsigned long long)b.drops[PONTE_DP_DROP_WRONG_VLAN]);

	/* The kernel's business on VLAN 42: to the exception port without the tag. */
	udp4(&plain, peer_mac, "198.51.100.30", 8000, "127.0.0.1", 1, rtp, len);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 42);
	put(nicv.rx[0], &f);
	CHECK(take(excv.tx[0], &g) && g.len == plain.len && memcmp(g.b, plain.b, g.len) == 0,
	      "UDP to no port of ours, tagged 42: to the kernel untagged, otherwise as it came");
	put_stripped(nicv.rx[1], &plain, 42);
	CHECK(take(excv.tx[1], &g) && g.len == plain.len && memcmp(g.b, plain.b, g.len) == 0,
	      "the same stripped by the NIC: to the kernel as it is");
	memset(f.b, 0xff, 6);
	memcpy(f.b + 6, peer_mac, 6);
	f.b[12] = 0x81;
	f.b[13] = 0x00;
	f.b[14] = 0x00;
	f.b[15] = 42;
	f.b[16] = 0x08;
	f.b[17] = 0x06;
	memset(f.b + 18, 0, 46);
	f.len = 64;
	put(nicv.rx[0], &f);
	CHECK(take(excv.tx[0], &g) && g.len == 60 && g.b[12] == 0x08 && g.b[13] == 0x06 &&
		  memcmp(g.b + 6, peer_mac, 6) == 0,
	      "ARP tagged 42: to the kernel untagged");
	ponte_dp_destroy(dp);
	dp = NULL;
	drain(nicv.tx[0]);
	drain(nicv.tx[1]);
	drain(excv.tx[0]);
	drain(excv.tx[1]);
}

/* A frame of nicv's transmit ring: its VLAN (0: none) and what it is. */
static bool take_tagged(struct rte_ring *r, uint16_t *vlan, struct seen *s, struct frame *g)
{
	uint16_t tci = 0;

	if (!take(r, g))
		return false;
	*vlan = untag(g, &tci) ? tci & 0x0fff : 0;
	*s = look(g);
	return true;
}

/*
 * Two VLANs of one trunk port (one ring NIC, one lcore): VLAN 42 holds 127.0.0.1 (browsers),
 * VLAN 43 127.0.0.2 (phones), each with its own ring exception port. A bridged call in on one
 * VLAN goes out on the other, tagged with it; each VLAN's kernel frames go to its own
 * exception port untagged, and the kernel's leave tagged with their VLAN; VLAN 44 and
 * untagged frames are dropped and counted; the per-NIC counters are per VLAN.
 */
static void test_two_vlans(void)
{
	static const char *const addrs_a[] = {"127.0.0.1/8", NULL};
	static const char *const addrs_b[] = {"127.0.0.2/32", NULL};
	static const uint8_t phone_mac[6] = {0x02, 0, 0, 0, 0, 0x44};
	struct ponte_dp_dpdk_port ports[2];
	struct ring_port nt, e42, e43;
	struct ponte_addr ga, gb, browser, phone;
	struct ponte_flow_spec spec;
	struct ponte_dp_nic_stats n42, n43;
	struct ponte_dp_lcore_stats st;
	struct frame f, g, plain;
	struct seen s;
	uint8_t rtp[64];
	size_t len;
	uint16_t vlan = 0;
	uint32_t pa = 0, pb = 0;
	int rc;

	ring_port_make(&nt, "nicT", 1);
	ring_port_make(&e42, "exc42", 1);
	ring_port_make(&e43, "exc43", 1);
	cfg_reset();
	ports[0] = (struct ponte_dp_dpdk_port){.device = nt.name, .rx_desc = 256, .tx_desc = 256,
					       .vlan = 42, .exception_device = e42.name,
					       .exception_addresses = addrs_a};
	ports[1] = ports[0];
	ports[1].vlan = 43;
	ports[1].exception_device = e43.name;
	ports[1].exception_addresses = addrs_b;
	dcfg.ports = ports;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create a dataplane on VLANs 42 and 43 of one NIC (%d)", rc);
	if (rc != 0)
		return;
	ponte_addr_parse(&ga, "127.0.0.1", 0);
	ponte_addr_parse(&gb, "127.0.0.2", 0);
	ponte_addr_parse(&browser, "198.51.100.7", 5004);
	ponte_addr_parse(&phone, "10.0.0.9", 7000);
	CHECK(ponte_dp_port_open(dp, &ga, 0, 0, &pa) == 0 &&
		  ponte_dp_port_open(dp, &gb, 0, 0, &pb) == 0,
	      "ports on VLAN 42's address and on VLAN 43's");

	/* Each VLAN's kernel sends to its peer: out tagged with its VLAN, next hop learnt. */
	udp4(&f, gw_mac, "127.0.0.1", 9, "198.51.100.7", 5004, rtp, 2);
	memcpy(f.b, peer_mac, 6);
	put(e42.rx[0], &f);
	CHECK(take_tagged(nt.tx[0], &vlan, &s, &g) && vlan == 42 && quiet(nt.tx[0]),
	      "a frame from VLAN 42's exception port leaves tagged 42 (%u)", vlan);
	udp4(&f, gw_mac, "127.0.0.2", 9, "10.0.0.9", 7000, rtp, 2);
	memcpy(f.b, phone_mac, 6);
	put(e43.rx[0], &f);
	CHECK(take_tagged(nt.tx[0], &vlan, &s, &g) && vlan == 43 && quiet(nt.tx[0]),
	      "a frame from VLAN 43's exception port leaves tagged 43 (%u)", vlan);

	/* The call: browser on VLAN 42 -> port A -> phone from port B on VLAN 43, and back. */
	ponte_flow_spec_init(&spec, 1, pa);
	spec.src = browser;
	ponte_flow_add_output(&spec, pb, &phone);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on VLAN 42's port, out of VLAN 43's");
	ponte_flow_spec_init(&spec, 2, pb);
	spec.src = phone;
	ponte_flow_add_output(&spec, pa, &browser);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "and the way back");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 0, 1, 160, 0x1111, 20);
	udp4(&plain, peer_mac, "198.51.100.7", 5004, "127.0.0.1", ga.port, rtp, len);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 42);
	put(nt.rx[0], &f);
	CHECK(take_tagged(nt.tx[0], &vlan, &s, &g) && vlan == 43 && s.is_ok &&
		  ponte_addr_equal(&s.src, &gb) && ponte_addr_equal(&s.dst, &phone) &&
		  memcmp(s.dmac, phone_mac, 6) == 0 && s.plen == len,
	      "RTP tagged 42 to VLAN 42's port: out tagged 43, from 127.0.0.2 to the phone's MAC "
	      "(VLAN %u)", vlan);
	len = make_rtp(rtp, 0, 1, 160, 0x2222, 20);
	udp4(&plain, phone_mac, "10.0.0.9", 7000, "127.0.0.2", gb.port, rtp, len);
	put_stripped(nt.rx[0], &plain, 0x2000 | 43);
	CHECK(take_tagged(nt.tx[0], &vlan, &s, &g) && vlan == 42 && s.is_ok &&
		  ponte_addr_equal(&s.src, &ga) && ponte_addr_equal(&s.dst, &browser) &&
		  memcmp(s.dmac, peer_mac, 6) == 0,
	      "RTP of VLAN 43 (stripped by the NIC) back: out tagged 42 to the browser (%u)", vlan);
	st = lstats(0);
	CHECK(st.fast_pkts == 2 && st.to_kernel == 0, "both through the fast path (%llu)",
	      (unsigned long long)st.fast_pkts);

	/* The kernel's business of each VLAN: its own exception port, untagged. */
	udp4(&plain, peer_mac, "198.51.100.7", 5004, "127.0.0.1", 1, rtp, len);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 42);
	put(nt.rx[0], &f);
	CHECK(take(e42.tx[0], &g) && g.len == plain.len && memcmp(g.b, plain.b, g.len) == 0 &&
		  quiet(e43.tx[0]),
	      "UDP to no port of ours on VLAN 42: to VLAN 42's exception port untagged");
	udp4(&plain, phone_mac, "10.0.0.9", 7000, "127.0.0.2", 1, rtp, len);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 43);
	put(nt.rx[0], &f);
	CHECK(take(e43.tx[0], &g) && g.len == plain.len && memcmp(g.b, plain.b, g.len) == 0 &&
		  quiet(e42.tx[0]),
	      "and on VLAN 43: to VLAN 43's, untagged");

	/* VLAN 44, untagged and a cut tag: no entry's. */
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 44);
	put(nt.rx[0], &f);
	put_stripped(nt.rx[0], &plain, 44);
	put(nt.rx[0], &plain);
	f.len = 16;
	put(nt.rx[0], &f);
	st = lstats(0);
	CHECK(quiet(nt.tx[0]) && quiet(e42.tx[0]) && quiet(e43.tx[0]) &&
		  st.drops[PONTE_DP_DROP_WRONG_VLAN] == 3 && st.drops[PONTE_DP_DROP_TRUNCATED] == 1,
	      "VLAN 44 (in the frame, stripped), untagged: dropped, wrong_vlan %llu; a cut tag "
	      "truncated",
	      (unsigned long long)st.drops[PONTE_DP_DROP_WRONG_VLAN]);
	CHECK(ponte_dp_nic_stats(dp, 0, &n42) == 0 && ponte_dp_nic_stats(dp, 1, &n43) == 0 &&
		  n42.vlan == 42 && n43.vlan == 43 && n42.eth_nic == 0 && n43.eth_nic == 0 &&
		  strcmp(n42.device, n43.device) == 0 && n42.lcore_rx_pkts == 2 &&
		  n43.lcore_rx_pkts == 2 && n42.lcore_tx_pkts == 2 && n43.lcore_tx_pkts == 2 &&
		  n42.rx_pkts == n43.rx_pkts && n42.to_kernel == 1 && n43.to_kernel == 1,
	      "per VLAN: 2 in and 2 out each (%llu/%llu, %llu/%llu), the device's counters shared",
	      (unsigned long long)n42.lcore_rx_pkts, (unsigned long long)n42.lcore_tx_pkts,
	      (unsigned long long)n43.lcore_rx_pkts, (unsigned long long)n43.lcore_tx_pkts);
	ponte_dp_destroy(dp);
	dp = NULL;

	/* The first entry untagged, the second on VLAN 43: untagged frames and priority-tagged
	 * ones are the first's (to its kernel as they came), VLAN 43's the second's, VLAN 44's
	 * no one's. */
	ports[0].vlan = 0;
	cfg_reset();
	dcfg.ports = ports;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create a dataplane on the untagged frames and VLAN 43 of one NIC (%d)", rc);
	if (rc != 0)
		return;
	udp4(&f, gw_mac, "127.0.0.1", 9, "198.51.100.7", 5004, rtp, 2);
	put(e42.rx[0], &f);
	CHECK(take_tagged(nt.tx[0], &vlan, &s, &g) && vlan == 0 && g.len == f.len,
	      "the untagged entry's kernel frame leaves untagged (%u)", vlan);
	udp4(&plain, peer_mac, "198.51.100.7", 5004, "127.0.0.1", 1, rtp, len);
	put(nt.rx[0], &plain);
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 0x6000); /* priority 3, VLAN 0 */
	put(nt.rx[0], &f);
	CHECK(take(e42.tx[0], &g) && g.len == plain.len && take(e42.tx[0], &g) &&
		  g.len == f.len && memcmp(g.b, f.b, f.len) == 0 && quiet(e43.tx[0]),
	      "untagged and priority-tagged frames: the untagged entry's kernel, as they came");
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 43);
	put(nt.rx[0], &f);
	CHECK(take(e43.tx[0], &g) && g.len == plain.len && quiet(e42.tx[0]),
	      "VLAN 43's: the other entry's kernel, untagged");
	f = plain;
	tag(&f, RTE_ETHER_TYPE_VLAN, 44);
	put(nt.rx[0], &f);
	st = lstats(0);
	CHECK(quiet(e42.tx[0]) && quiet(e43.tx[0]) && st.drops[PONTE_DP_DROP_WRONG_VLAN] == 1,
	      "VLAN 44's: dropped, wrong_vlan %llu",
	      (unsigned long long)st.drops[PONTE_DP_DROP_WRONG_VLAN]);
	ponte_dp_destroy(dp);
	dp = NULL;
}

/* ---- frames beyond 1,500 bytes ---- */

/* An IPv4/UDP frame of plen payload bytes (each byte its offset's, times seed) in b, checksums
 * right; its length. For frames beyond struct frame's 2048 bytes. */
static size_t jumbo4(uint8_t *b, uint16_t sport, uint16_t dport, const uint8_t *payload,
		     size_t plen, uint8_t seed)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	memset(b, 0, 42);
	memcpy(&eth->dst_addr, gw_mac, 6);
	memcpy(&eth->src_addr, peer_mac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + 8 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, "198.51.100.9", &ip->src_addr);
	inet_pton(AF_INET, "127.0.0.1", &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = htons(sport);
	u->dst_port = htons(dport);
	u->dgram_len = htons((uint16_t)(8 + plen));
	for (size_t i = 0; i < plen; i++)
		((uint8_t *)(u + 1))[i] = (uint8_t)(i * seed);
	if (payload != NULL)
		memcpy(u + 1, payload, plen < 12 ? plen : 12);
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	return 42 + plen;
}

/* The frame b of len bytes as an mbuf chain of segments of at most seg bytes each, from mp. */
static struct rte_mbuf *chain(struct rte_mempool *mp, const uint8_t *b, size_t len, size_t seg)
{
	struct rte_mbuf *head = NULL;

	for (size_t off = 0; off < len; off += seg) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		size_t n = len - off < seg ? len - off : seg;

		memcpy(rte_pktmbuf_append(m, (uint16_t)n), b + off, n);
		if (head == NULL)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
	}
	return head;
}

/* The next mbuf on r (waiting up to a second) equal to the frame b of len bytes, in nb_segs
 * segments (0: any). */
static bool take_same(struct rte_ring *r, const uint8_t *b, size_t len, unsigned nb_segs)
{
	static uint8_t got[9700];
	struct rte_mbuf *m = NULL;
	bool is_same;

	for (int i = 0; i < 1000 && rte_ring_dequeue(r, (void **)&m) != 0; i++)
		usleep(1000);
	if (m == NULL)
		return false;
	is_same = m->pkt_len == len && (nb_segs == 0 || m->nb_segs == nb_segs) &&
		  len <= sizeof(got) && memcmp(rte_pktmbuf_read(m, 0, len, got), b, len) == 0;
	rte_pktmbuf_free(m);
	return is_same;
}

/* dpdk_kfrag() (a frame too long for a TAP, in IP fragments the kernel reassembles): a
 * 5042-byte IPv4 frame with DF in fragments of at most 1500 bytes of IP, DF cleared, offsets,
 * MF and header checksums right, the payload whole once put together; IPv6 with fragment
 * headers; ARP refused. */
static void test_kfrag(void)
{
	static uint8_t big[9100], whole[9100];
	struct rte_mempool *ind = rte_pktmbuf_pool_create("kfrag_ind", 255, 0, 0, 0, 0);
	struct rte_mbuf *out[48];
	size_t len = jumbo4(big, 5000, 5060, NULL, 5000, 11);
	bool is_ok = true;
	size_t got = 0;
	int n;

	big[14 + 6] = 0x40; /* DF */
	((struct rte_ipv4_hdr *)(big + 14))->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)(big + 14))->hdr_checksum =
	    rte_ipv4_cksum((struct rte_ipv4_hdr *)(big + 14));
	n = dpdk_kfrag(chain(pool, big, len, 2000), 1500, pool, ind, out, RTE_DIM(out));
	for (int i = 0; i < n; i++) {
		uint8_t f[1600];
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + 14);
		uint16_t fo;

		is_ok &= out[i]->pkt_len <= 1514 && out[i]->pkt_len > 34;
		if (!is_ok)
			break;
		rte_pktmbuf_read(out[i], 0, out[i]->pkt_len, f);
		fo = ntohs(ip->fragment_offset);
		is_ok &= memcmp(f, big, 14) == 0 && rte_ipv4_cksum(ip) == 0 &&
			 !(fo & RTE_IPV4_HDR_DF_FLAG) && !!(fo & RTE_IPV4_HDR_MF_FLAG) == (i < n - 1) &&
			 (size_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8 == got &&
			 ntohs(ip->total_length) == out[i]->pkt_len - 14;
		memcpy(whole + 34 + got, f + 34, out[i]->pkt_len - 34);
		got += out[i]->pkt_len - 34;
		rte_pktmbuf_free(out[i]);
	}
	CHECK(n == 4 && is_ok && got == len - 34 && memcmp(whole + 34, big + 34, got) == 0,
	      "a 5042-byte IPv4 frame with DF (in 3 segments) for a TAP: %d fragments of at most "
	      "1500 bytes, DF cleared, offsets, MF and checksums right, the datagram whole", n);
	{
		struct frame f6;
		uint8_t pl[1900];

		memset(pl, 0x3c, sizeof(pl));
		udp6(&f6, peer_mac, "2001:db8::2", 5000, "2001:db8::1", 5060, pl, sizeof(pl));
		n = dpdk_kfrag(chain(pool, f6.b, f6.len, 2000), 1500, pool, ind, out, RTE_DIM(out));
		is_ok = n == 2;
		for (int i = 0; i < n; i++) {
			const uint8_t *ip = rte_pktmbuf_mtod_offset(out[i], const uint8_t *, 14);

			is_ok &= out[i]->pkt_len <= 1514 && ip[6] == IPPROTO_FRAGMENT &&
				 rte_pktmbuf_mtod(out[i], const uint8_t *)[12] == 0x86;
			rte_pktmbuf_free(out[i]);
		}
		CHECK(is_ok, "an IPv6 frame of 1962 bytes: two fragments with fragment headers (%d)",
		      n);
		memset(f6.b + 12, 0, 2);
		f6.b[12] = 0x08;
		f6.b[13] = 0x06;
		CHECK(dpdk_kfrag(chain(pool, f6.b, f6.len, 2000), 1500, pool, ind, out,
				 RTE_DIM(out)) == -ENOTSUP,
		      "a frame that is not IP: -ENOTSUP, nothing to send");
	}
	CHECK(rte_mempool_avail_count(ind) == 255, "no indirect mbuf left behind (%u of 255)",
	      rte_mempool_avail_count(ind));
	rte_mempool_free(ind);
}

/*
 * Jumbo frames (dpdk.ports[].mtu: 9000) on ring ports: the mtu refused out of range; the
 * dataplane's mbufs hold a whole 9000-byte frame (the ring PMD passes the test's own mbufs
 * on, so the pool is looked at); UDP of 9000 bytes to the kernel intact, and a frame in three
 * segments too (net_tap takes chains); RTP of an installed flow up to the pipeline's largest
 * packet (1984 bytes) through the fast path, a larger one to the kernel. (A device's own
 * limit, net_af_packet's 1500, is refused as the lab shows: no ring PMD has one.)
 */
static void test_jumbo(void)
{
	static uint8_t big[9100];
	struct ponte_dp_dpdk_port jp;
	struct ring_port nj, ej;
	struct rte_mempool *jpool;
	struct ponte_flow_spec spec;
	struct ponte_dp_lcore_stats st0, st;
	struct ponte_addr gw, peer;
	uint8_t rtp[16];
	uint32_t p = 0;
	size_t len;
	int rc;

	cfg_reset();
	nic_cfg.mtu = 9601;
	expect_refused("an MTU beyond 9600", -EINVAL, "dpdk.ports[0].mtu: 9601 is out of range");
	nic_cfg.mtu = 1000;
	expect_refused("an MTU below 1280", -EINVAL, "dpdk.ports[0].mtu: 1000 is out of range");

	jpool = rte_pktmbuf_pool_create("jumbo_pool", 255, 0, 0, RTE_PKTMBUF_HEADROOM + 9200, 0);
	ring_port_make(&nj, "nicJ", 1);
	ring_port_make(&ej, "excJ", 1);
	jp = (struct ponte_dp_dpdk_port){
	    .device = nj.name, .rx_desc = 256, .tx_desc = 256, .mtu = 9000};
	dcfg.ports = &jp;
	dcfg.exception_device = ej.name;
	dcfg.mempool_size = 4095;
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0 && jpool != NULL, "create a dataplane with dpdk.ports[0].mtu 9000 (%d)",
	      rc);
	if (rc != 0 || jpool == NULL)
		goto out;
	{
		struct rte_mempool *mp = rte_mempool_lookup("ponte_mbuf_0");

		CHECK(mp != NULL && rte_pktmbuf_data_room_size(mp) >=
					RTE_PKTMBUF_HEADROOM + 9000 + RTE_ETHER_HDR_LEN + 4 + 4,
		      "the dataplane's mbufs hold a whole frame of the MTU (%u bytes of data room)",
		      mp != NULL ? rte_pktmbuf_data_room_size(mp) : 0);
	}
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(jpool);

		len = jumbo4(big, 5000, 40999, NULL, 9000 - 28, 3);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), big, len);
		rte_ring_enqueue(nj.rx[0], m);
	}
	CHECK(take_same(ej.tx[0], big, len, 0),
	      "a 9000-byte datagram (one segment) to no port: to the kernel intact");
	len = jumbo4(big, 5000, 40999, NULL, 5000, 5);
	rte_ring_enqueue(nj.rx[0], chain(pool, big, len, 2000));
	CHECK(take_same(ej.tx[0], big, len, 3),
	      "a 5042-byte frame in three segments: to the kernel intact, in its three segments");

	ponte_addr_parse(&gw, "127.0.0.1", 0);
	ponte_addr_parse(&peer, "198.51.100.9", 6000);
	ponte_dp_port_open(dp, &gw, 0, 0, &p);
	ponte_flow_spec_init(&spec, 1, p);
	ponte_flow_add_output(&spec, p, &peer);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a port-wide plain RTP flow, echoed");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 0, 1, 160, 0x7777, 0);
	st0 = lstats(0);
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(jpool);
		struct frame g;
		struct seen s;

		len = jumbo4(big, 6000, gw.port, rtp, DPDK_MEDIA_MAX, 7);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), big, len);
		rte_ring_enqueue(nj.rx[0], m);
		CHECK(take(nj.tx[0], &g) && (s = look(&g)).is_ok && s.plen == DPDK_MEDIA_MAX &&
			  memcmp(s.payload, big + 42, DPDK_MEDIA_MAX) == 0,
		      "RTP of 1984 bytes (the pipeline's largest): forwarded by the fast path, "
		      "intact");
	}
	len = jumbo4(big, 6000, gw.port, rtp, DPDK_MEDIA_MAX + 1, 7);
	rte_ring_enqueue(nj.rx[0], chain(jpool, big, len, len));
	CHECK(take_same(ej.tx[0], big, len, 1) && quiet(nj.tx[0]),
	      "RTP of 1985 bytes to the flow's port: to the kernel, not the pipeline");
	st = lstats(0);
	CHECK(st.fast_pkts - st0.fast_pkts == 1 && st.to_kernel - st0.to_kernel == 1,
	      "counted: fast_pkts +%llu, to_kernel +%llu",
	      (unsigned long long)(st.fast_pkts - st0.fast_pkts),
	      (unsigned long long)(st.to_kernel - st0.to_kernel));
	ponte_dp_destroy(dp);
	dp = NULL;
out:
	drain(nj.tx[0]);
	drain(ej.tx[0]);
	rte_mempool_free(jpool);
	cfg_reset();
}

/* ---- two NICs ---- */

/* Every frame a ring has within 150 ms of quiet, counted, the last copied into f. */
static unsigned take_all(struct ring_port *p, unsigned nb_q, struct frame *f)
{
	unsigned n = 0;

	for (unsigned q = 0; q < nb_q; q++)
		while (rte_ring_count(p->tx[q]) > 0 || !quiet(p->tx[q]))
			n += take(p->tx[q], f);
	return n;
}

static struct ponte_dp_lcore_stats lstats_sum(void)
{
	struct ponte_dp_lcore_stats a = lstats(0), b = lstats(1);

	a.rx_pkts += b.rx_pkts;
	a.tx_pkts += b.tx_pkts;
	a.fast_pkts += b.fast_pkts;
	a.to_kernel += b.to_kernel;
	a.from_kernel += b.from_kernel;
	a.handoffs += b.handoffs;
	return a;
}

/*
 * Two NICs on two lcores: A holds 127.0.0.1 (browsers), B holds 127.0.0.2 (phones), each with
 * its own ring exception port. A bridged call: media in on A goes out of B and back; the
 * same address (a phone's) is behind different MACs on each NIC; each NIC's kernel traffic
 * stays on that NIC.
 */
static void test_two_nics(void)
{
	static const char *const addrs_a[] = {"127.0.0.1/8", NULL};
	static const char *const addrs_b[] = {"127.0.0.2/32", NULL};
	static const uint8_t phone_mac[6] = {0x02, 0, 0, 0, 0, 0x44};
	struct ponte_dp_dpdk_port two[2];
	struct ring_port na, ea, nb, eb;
	struct ponte_addr ga, gb, gb2, gx, browser, phone, phone2;
	struct ponte_flow_spec spec;
	struct ponte_dp_lcore_stats st0, st;
	struct rte_ether_addr mac_b;
	struct frame f, g;
	struct seen s;
	uint8_t rtp[64];
	size_t len;
	uint32_t pa = 0, pb = 0, pb2 = 0, px = 0;
	unsigned n;
	int rc;

	ring_port_make(&na, "nicA", 2);
	ring_port_make(&ea, "excA", 2);
	ring_port_make(&nb, "nicB", 2);
	ring_port_make(&eb, "excB", 2);
	rte_eth_macaddr_get(nb.port_id, &mac_b);
	cfg_reset();
	two[0] = (struct ponte_dp_dpdk_port){.device = na.name,
					     .rx_desc = 256,
					     .tx_desc = 256,
					     .exception_device = ea.name,
					     .exception_addresses = addrs_a};
	two[1] = (struct ponte_dp_dpdk_port){.device = nb.name,
					     .rx_desc = 256,
					     .tx_desc = 256,
					     .exception_device = eb.name,
					     .exception_addresses = addrs_b};
	dcfg.ports = two;
	dcfg.nb_ports = 2;
	dcfg.exception_device = "";
	dcfg.lcores = "0-1";
	dcfg.mempool_size = 16383;
	rc = ponte_dp_create(&cfg, &dp);
	CHECK(rc == 0, "create a dataplane on two NICs and two lcores (%d)", rc);
	if (rc != 0)
		return;
	ponte_addr_parse(&ga, "127.0.0.1", 0);
	ponte_addr_parse(&gb, "127.0.0.2", 0);
	ponte_addr_parse(&gb2, "127.0.0.2", 0);
	ponte_addr_parse(&gx, "127.0.0.3", 0);
	ponte_addr_parse(&browser, "198.51.100.7", 5004);
	ponte_addr_parse(&phone, "10.0.0.9", 7000);
	ponte_addr_parse(&phone2, "10.0.0.10", 7002);
	CHECK(ponte_dp_port_open(dp, &ga, 0, 0, &pa) == 0 &&
		  ponte_dp_port_open(dp, &gb, 0, 0, &pb) == 0 &&
		  ponte_dp_port_open(dp, &gb2, 0, 0, &pb2) == 0,
	      "ports on NIC A's address and on NIC B's");
	CHECK(ponte_dp_port_open(dp, &gx, 0, 0, &px) == -EADDRNOTAVAIL &&
		  strstr(log_text, "serves only the addresses of its exception interfaces"),
	      "a port on an address no NIC holds: -EADDRNOTAVAIL");

	/* The kernel of each side sends to the phone's address: out of its own NIC, and its
	 * next hop learnt for that NIC only (a router on A, the phone itself on B). */
	st0 = lstats_sum();
	udp4(&f, router_mac, "127.0.0.1", 9, "10.0.0.9", 7000, rtp, 2);
	memcpy(f.b, router_mac, 6);
	put(ea.rx[0], &f);
	CHECK(take_all(&na, 2, &g) == 1 && memcmp(g.b, router_mac, 6) == 0 &&
		  take_all(&nb, 2, &g) == 0,
	      "a frame from exception port A leaves through NIC A only");
	udp4(&f, phone_mac, "127.0.0.2", 9, "10.0.0.9", 7000, rtp, 2);
	memcpy(f.b, phone_mac, 6);
	put(eb.rx[1], &f);
	CHECK(take_all(&nb, 2, &g) == 1 && memcmp(g.b, phone_mac, 6) == 0 &&
		  take_all(&na, 2, &g) == 0,
	      "a frame from exception port B leaves through NIC B only");

	/* The call: browser -> port A -> phone from port B, and back. */
	ponte_flow_spec_init(&spec, 1, pa);
	spec.src = browser;
	ponte_flow_add_output(&spec, pb, &phone);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "a flow on NIC A's port, out of NIC B's");
	ponte_flow_spec_init(&spec, 2, pb);
	spec.src = phone;
	ponte_flow_add_output(&spec, pa, &browser);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "and the way back");
	ponte_dp_sync(dp);
	len = make_rtp(rtp, 0, 1, 160, 0x1111, 20);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", ga.port, rtp, len);
	put(na.rx[0], &f);
	put(na.rx[1], &f);
	n = take_all(&nb, 2, &g);
	s = look(&g);
	CHECK(n == 2 && s.is_ok && ponte_addr_equal(&s.src, &gb) &&
		  ponte_addr_equal(&s.dst, &phone) && memcmp(s.dmac, phone_mac, 6) == 0 &&
		  memcmp(s.smac, mac_b.addr_bytes, 6) == 0 && s.plen == len &&
		  memcmp(s.payload, rtp, len) == 0,
	      "media in on NIC A leaves through NIC B, from B's address and MAC, to the MAC learnt "
	      "on B (%u frames)",
	      n);
	CHECK(take_all(&na, 2, &g) == 0, "nothing of it on NIC A");
	len = make_rtp(rtp, 8, 1, 160, 0x2222, 20);
	udp4(&f, phone_mac, "10.0.0.9", 7000, "127.0.0.2", gb.port, rtp, len);
	put(nb.rx[1], &f);
	n = take_all(&na, 2, &g);
	s = look(&g);
	CHECK(n == 1 && s.is_ok && ponte_addr_equal(&s.src, &ga) &&
		  ponte_addr_equal(&s.dst, &browser) && memcmp(s.dmac, peer_mac, 6) == 0,
	      "the phone's media in on NIC B leaves through NIC A, to the browser's MAC learnt "
	      "from its media on A");
	CHECK(take_all(&nb, 2, &g) == 0, "nothing of it on NIC B");
	CHECK(fstats(1).rtp_in == 2 && fstats(2).rtp_in == 1, "the flows count their packets");

	/* An echo on NIC B, its frames on both lcores' queues: the one handed over keeps its
	 * NIC, so the way back is still the source's own MAC on B. */
	ponte_flow_spec_init(&spec, 3, pb2);
	spec.src = phone2;
	ponte_flow_add_output(&spec, pb2, &phone2);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "an echo flow on NIC B");
	ponte_dp_sync(dp);
	udp4(&f, phone_mac, "10.0.0.10", 7002, "127.0.0.2", gb2.port, rtp, len);
	put(nb.rx[0], &f);
	put(nb.rx[1], &f);
	n = take_all(&nb, 2, &g);
	CHECK(n == 2 && memcmp(look(&g).dmac, phone_mac, 6) == 0 && take_all(&na, 2, &g) == 0,
	      "both echoed out of NIC B to the source's MAC (%u)", n);

	/* What each NIC receives for the kernel goes to its own exception port. */
	udp4(&f, phone_mac, "10.0.0.9", 7000, "127.0.0.2", 9, rtp, 4);
	put(nb.rx[0], &f);
	udp4(&f, peer_mac, "198.51.100.7", 5004, "127.0.0.1", 9, rtp, 4);
	put(na.rx[1], &f);
	CHECK(take_all(&eb, 2, &g) == 1 && memcmp(g.b + 6, phone_mac, 6) == 0 &&
		  take_all(&ea, 2, &g) == 1 && memcmp(g.b + 6, peer_mac, 6) == 0,
	      "NIC B's frame for the kernel to exception port B, NIC A's to A");
	st = lstats_sum();
	CHECK(st.rx_pkts - st0.rx_pkts == 7 && st.tx_pkts - st0.tx_pkts == 7 &&
		  st.fast_pkts - st0.fast_pkts == 5 && st.from_kernel - st0.from_kernel == 2 &&
		  st.to_kernel - st0.to_kernel == 2 && st.handoffs - st0.handoffs >= 2,
	      "counters over both NICs: rx %llu, tx %llu, fast %llu, from/to kernel %llu/%llu, "
	      "handed over %llu",
	      (unsigned long long)(st.rx_pkts - st0.rx_pkts),
	      (unsigned long long)(st.tx_pkts - st0.tx_pkts),
	      (unsigned long long)(st.fast_pkts - st0.fast_pkts),
	      (unsigned long long)(st.from_kernel - st0.from_kernel),
	      (unsigned long long)(st.to_kernel - st0.to_kernel),
	      (unsigned long long)(st.handoffs - st0.handoffs));
	ponte_dp_destroy(dp);
	dp = NULL;
}

int main(void)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg_reset();
	test_nics_config_errors();
	CHECK(rte_lcore_count() == 0, "none of these started the EAL");
	rc = eal_start("test-dpdk-nics");
	CHECK(rc >= 0, "the test's EAL starts (%d)", rc);
	if (rc < 0)
		return tap_done();
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	test_kfrag();
	test_jumbo();
	test_two_nics();
	test_vlan();
	test_two_vlans();
	eal_stop("test-dpdk-nics");
	return tap_done();
}
