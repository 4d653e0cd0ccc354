/* SPDX-License-Identifier: MIT */
/*
 * The DPDK transport: loadgen's frames go through a net_memif port (shared-memory rings
 * between two processes, no kernel) to the DPDK backend's memif NIC, with the EAL started
 * without hugepages or PCI. IPv4 only. Frames carry the plan's addresses: ours (the peer) and
 * the gateway's; the gateway's MAC is asked by ARP (the DPDK backend hands ARP to its kernel
 * exception interface, which answers) unless given, and ARP for our address is answered, so
 * that the kernel behind the gateway can reach us too. Receive times are taken when a burst
 * comes in; send stamps when each packet is built. With several queue pairs (a gateway with
 * several lcores) each call's packets go on the queue of the lcore that owns its flows.
 *
 * The reflector (lg_memif_reflect) is the other end for testing the transport without a
 * dataplane: the memif server, it answers every ARP request and sends every IPv4 UDP frame
 * back with its addresses and ports swapped. loadgen --echo checks what comes back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

#ifdef LG_HAVE_DPDK

#include <dirent.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define NB_MBUFS 16383
#define NB_DESC 1024
#define HDR_LEN (RTE_ETHER_HDR_LEN + 20 + 8)
/* IEEE 802 local experimental EtherType: the client's last frame, "I am leaving". The memif
 * PMD unmaps a departed peer's rings from its interrupt thread while the lcore may still be
 * polling them (a crash about one disconnect in ten, DPDK 22.11): the reflector stops polling
 * on this frame, before the client disconnects. */
#define ETHER_TYPE_BYE 0x88b5

struct memif {
	struct lg_transport base;
	struct dpb_plan plan;
	uint16_t port;
	uint16_t nb_queues;
	uint16_t next_rxq; /* the queue recv() reads first, in turn for fairness */
	struct rte_mempool *pool;
	struct rte_ether_addr mac, gw_mac;
	bool has_gw_mac;
	rte_be32_t ip, gw_ip;
	uint16_t ip_id;
	uint64_t rx_other, arp_answered, arp_sent, tx_full;
};

static bool is_eal_up;
static char runtime_dir[512];

bool lg_memif_available(void)
{
	return true;
}

/* Start the EAL once per process: no hugepages, no PCI, our own file prefix, one lcore, and
 * the memif vdev in the role asked. */
static int eal_start(const struct lg_memif_opts *o)
{
	char *argv[48];
	char lcore[16], mem[16], prefix[64], vdev[512], *extra = NULL;
	int argc = 0, rc, cpu = o->cpu >= 0 ? o->cpu : sched_getcpu();

	if (is_eal_up)
		return -EALREADY;
	snprintf(lcore, sizeof(lcore), "%d", cpu < 0 ? 0 : cpu);
	snprintf(mem, sizeof(mem), "%u", o->memory_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=loadgen-%d", (int)getpid());
	/* 2^13 slots: almost a second of the smoke test's load, so that a peer descheduled for a
	 * while on a busy machine does not overflow at once (the client's size is the one used). */
	snprintf(vdev, sizeof(vdev), "net_memif0,role=%s,socket=%s,id=0,rsize=13",
		 o->is_server ? "server" : "client", o->socket_path);
	argv[argc++] = (char *)"loadgen";
	argv[argc++] = (char *)"--no-huge";
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = prefix;
	argv[argc++] = (char *)"-m";
	argv[argc++] = mem;
	argv[argc++] = (char *)"-l";
	argv[argc++] = lcore;
	argv[argc++] = (char *)"--vdev";
	argv[argc++] = vdev;
	argv[argc++] = (char *)"--log-level=5"; /* warnings and worse */
	argv[argc++] = (char *)"--no-telemetry";
	if (o->eal_extra != NULL) {
		char *save = NULL, *tok;

		extra = strdup(o->eal_extra);
		if (extra == NULL)
			return -ENOMEM;
		for (tok = strtok_r(extra, " ", &save); tok != NULL && argc < 46;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	free(extra); /* the EAL keeps copies of what it needs */
	if (rc < 0) {
		fprintf(stderr, "loadgen: EAL: %s\n", rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -EIO;
	}
	is_eal_up = true;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	return 0;
}

/* Stop the EAL, and remove what it leaves in /var/run/dpdk/PREFIX (--in-memory would leave
 * nothing, but it cannot go with --no-huge). */
static void eal_stop(void)
{
	DIR *d;
	struct dirent *e;

	rte_eal_cleanup(); /* nothing touches an mbuf after this: the memory is gone */
	is_eal_up = false;
	if (runtime_dir[0] == '\0' || strstr(runtime_dir, "/loadgen-") == NULL)
		return;
	d = opendir(runtime_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(runtime_dir);
}

/* The memif port: nq queue pairs, started. A client retries for 10 s while its server is not
 * listening yet (the PMD connects when the port starts, and fails the start when it cannot). */
static int port_start(uint16_t *port, struct rte_mempool **pool, struct rte_ether_addr *mac,
		      bool is_client, uint16_t nq)
{
	struct rte_eth_conf conf;
	uint16_t p = (uint16_t)rte_eth_find_next(0);
	int rc;

	if (p >= RTE_MAX_ETHPORTS) {
		fprintf(stderr, "loadgen: no memif port came up (is the memif PMD installed?)\n");
		return -ENODEV;
	}
	*pool = rte_pktmbuf_pool_create("lg_pool", NB_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (*pool == NULL) {
		fprintf(stderr, "loadgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(p, nq, nq, &conf);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p, q, NB_DESC, rte_eth_dev_socket_id(p), NULL, *pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p, q, NB_DESC, rte_eth_dev_socket_id(p), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(p);
	for (int i = 0; rc != 0 && is_client && i < 100; i++) {
		usleep(100000);
		rc = rte_eth_dev_start(p);
	}
	if (rc != 0) {
		fprintf(stderr, "loadgen: memif port: %s\n", rte_strerror(-rc));
		return rc;
	}
	rte_eth_macaddr_get(p, mac);
	*port = p;
	return 0;
}

static bool is_link_up(uint16_t port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/* Wait until the peer connects. A client whose server was not listening yet tries again
 * every second: the memif PMD connects only when the port starts. */
static int link_wait(uint16_t port, bool is_client, unsigned timeout_s, volatile int *stop)
{
	for (unsigned i = 0; i < timeout_s * 100 && (stop == NULL || !*stop); i++) {
		if (is_link_up(port))
			return 0;
		if (is_client && i % 100 == 99) {
			rte_eth_dev_stop(port);
			rte_eth_dev_start(port);
		}
		usleep(10000);
	}
	fprintf(stderr, "loadgen: memif: no peer connected within %u s\n", timeout_s);
	return -ETIMEDOUT;
}

static void ipv4_of(const struct ponte_addr *a, rte_be32_t *out)
{
	memcpy(out, a->ip, 4);
}

/* Answer an ARP request in place (RFC 826): true when m became the reply. answer_any: for
 * every address (the reflector), else only for ours. */
static bool arp_answer(struct rte_mbuf *m, const struct rte_ether_addr *mac, rte_be32_t ip,
		       bool answer_any)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	rte_be32_t target;

	if (m->data_len < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	target = arp->arp_data.arp_tip;
	if (!answer_any && target != ip)
		return false;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = *mac;
	arp->arp_data.arp_sip = target;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *mac;
	return true;
}

static void send_one(uint16_t port, struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

static void arp_request(struct memif *t)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = t->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = t->mac;
	arp->arp_data.arp_sip = t->ip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = t->gw_ip;
	t->arp_sent++;
	send_one(t->port, m);
}

/* A received frame: ARP handled here (false), or an IPv4 UDP datagram for one of our ports
 * from the gateway, copied into pkt (true). */
static bool take(struct memif *t, struct rte_mbuf *m, struct lg_pkt *pkt)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	size_t ihl, ulen;
	unsigned ep;

	if (m->data_len < sizeof(*eth) || m->nb_segs != 1)
		goto other;
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

		if (m->data_len >= sizeof(*eth) + sizeof(*arp) &&
		    arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
		    arp->arp_data.arp_sip == t->gw_ip && !t->has_gw_mac) {
			t->gw_mac = arp->arp_data.arp_sha;
			t->has_gw_mac = true;
		}
		if (arp_answer(m, &t->mac, t->ip, false)) {
			t->arp_answered++;
			send_one(t->port, m);
			return false;
		}
		goto other;
	}
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    m->data_len < HDR_LEN)
		goto other;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ihl = (size_t)(ip->version_ihl & 0x0f) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < 20 || ip->next_proto_id != IPPROTO_UDP ||
	    ip->dst_addr != t->ip || m->data_len < RTE_ETHER_HDR_LEN + ihl + 8)
		goto other;
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	ep = (unsigned)(rte_be_to_cpu_16(udp->dst_port) - t->plan.peer.port);
	if (ulen < 8 || ulen - 8 > LG_BUF || RTE_ETHER_HDR_LEN + ihl + ulen > m->data_len ||
	    ep >= DPB_NB_PORTS)
		goto other;
	if (!t->has_gw_mac && ip->src_addr == t->gw_ip) {
		t->gw_mac = eth->src_addr;
		t->has_gw_mac = true;
	}
	pkt->ep = (uint8_t)ep;
	pkt->gw_port = rte_be_to_cpu_16(udp->src_port);
	pkt->len = (uint16_t)(ulen - 8);
	memcpy(pkt->data, udp + 1, pkt->len);
	rte_pktmbuf_free(m);
	return true;
other:
	t->rx_other++;
	rte_pktmbuf_free(m);
	return false;
}

static unsigned memif_recv(struct lg_transport *lt, struct lg_pkt *pkts, unsigned max)
{
	struct memif *t = (struct memif *)lt;
	struct rte_mbuf *ms[LG_BATCH];
	unsigned got = 0;
	uint16_t n;
	uint64_t now;

	if (max > LG_BATCH)
		max = LG_BATCH;
	for (uint16_t k = 0; k < t->nb_queues && got < max; k++) {
		uint16_t q = (uint16_t)((t->next_rxq + k) % t->nb_queues);

		n = rte_eth_rx_burst(t->port, q, ms, (uint16_t)(max - got));
		if (n == 0)
			continue;
		now = lg_real_ns();
		for (uint16_t i = 0; i < n; i++) {
			if (take(t, ms[i], &pkts[got])) {
				pkts[got].rx_ns = now;
				got++;
			}
		}
	}
	t->next_rxq = (uint16_t)((t->next_rxq + 1) % t->nb_queues);
	return got;
}

static void build(struct memif *t, struct rte_mbuf *m, const struct lg_pkt *pkt)
{
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDR_LEN + pkt->len));
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	eth->dst_addr = t->gw_mac;
	eth->src_addr = t->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + pkt->len));
	ip->packet_id = rte_cpu_to_be_16(t->ip_id++);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = t->ip;
	ip->dst_addr = t->gw_ip;
	udp->src_port = rte_cpu_to_be_16((uint16_t)(t->plan.peer.port + pkt->ep));
	udp->dst_port = rte_cpu_to_be_16(pkt->gw_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + pkt->len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, pkt->data, pkt->len);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

/* The queue a packet goes out on: the one whose gateway lcore owns its flows. The DPDK backend
 * spreads new flows round robin over its lcores (dataplane/dpdk/dpdk.c, choose_owner()), a
 * bridged call's three together, a relayed call's two legs apart; a guess that misses costs the
 * gateway a hand-over (its `handoffs` counter), not a packet. */
static uint16_t queue_of(const struct memif *t, const struct lg_pkt *pkt)
{
	enum dpb_port which;
	uint32_t call;

	if (t->nb_queues == 1 || dpb_gw_port_of(&t->plan, pkt->gw_port, &call, &which) != 0)
		return 0;
	if (t->plan.mode == DPB_RELAY)
		return (uint16_t)((2ull * call + (which == DPB_P_A ? 0 : 1)) % t->nb_queues);
	return (uint16_t)(call % t->nb_queues);
}

/* Send ms[0..n) on queue q. A full ring is the peer not keeping up: a NIC would drop at its
 * receive queue. Retry for up to 100 us (the peer may be between two polls), then free the
 * rest; returns how many went. */
static unsigned queue_send(struct memif *t, uint16_t q, struct rte_mbuf **ms, unsigned n)
{
	unsigned sent = 0;
	uint64_t give_up = 0;

	while (sent < n) {
		sent += rte_eth_tx_burst(t->port, q, ms + sent, (uint16_t)(n - sent));
		if (sent == n)
			break;
		if (give_up == 0)
			give_up = lg_mono_ns() + 100000;
		else if (lg_mono_ns() > give_up)
			break;
	}
	for (unsigned i = sent; i < n; i++)
		rte_pktmbuf_free(ms[i]);
	return sent;
}

static unsigned memif_send(struct lg_transport *lt, struct lg_pkt *pkts, unsigned n)
{
	struct memif *t = (struct memif *)lt;
	struct rte_mbuf *ms[LG_BATCH], *qms[LG_BATCH];
	unsigned total = 0, slot[LG_BATCH];

	if (n > LG_BATCH)
		n = LG_BATCH;
	if (rte_pktmbuf_alloc_bulk(t->pool, ms, n) != 0) {
		for (unsigned i = 0; i < n; i++)
			pkts[i].status = LG_SEND_ERROR;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		build(t, ms[i], &pkts[i]);
	for (uint16_t q = 0; q < t->nb_queues; q++) {
		unsigned m = 0, sent;

		for (unsigned i = 0; i < n; i++) {
			if (t->nb_queues > 1 && queue_of(t, &pkts[i]) != q)
				continue;
			slot[m] = i;
			qms[m++] = ms[i];
		}
		sent = m > 0 ? queue_send(t, q, qms, m) : 0;
		for (unsigned k = 0; k < m; k++)
			pkts[slot[k]].status = k < sent ? LG_SENT : LG_PEER_FULL;
		t->tx_full += m - sent;
		total += sent;
	}
	return total;
}

static void memif_wait(struct lg_transport *lt, uint64_t deadline_ns)
{
	/* Polling: the caller's loop comes straight back to recv(). */
	(void)lt;
	(void)deadline_ns;
}

static void memif_describe(struct lg_transport *lt, char *buf, size_t len)
{
	struct memif *t = (struct memif *)lt;
	struct rte_eth_stats st;

	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(t->port, &st);
	snprintf(buf, len,
		 "memif_queues=%u memif_rx_other=%llu memif_arp_sent=%llu memif_arp_answered=%llu "
		 "memif_tx_full=%llu memif_imissed=%llu memif_rx_nombuf=%llu",
		 (unsigned)t->nb_queues, (unsigned long long)t->rx_other,
		 (unsigned long long)t->arp_sent, (unsigned long long)t->arp_answered,
		 (unsigned long long)t->tx_full, (unsigned long long)st.imissed,
		 (unsigned long long)st.rx_nombuf);
}

static void port_stop(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

static void memif_destroy(struct lg_transport *lt)
{
	struct memif *t = (struct memif *)lt;
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->pool);

	if (m != NULL) {
		struct rte_ether_hdr *eth =
			(struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_ETHER_MIN_LEN);

		memset(eth, 0, RTE_ETHER_MIN_LEN);
		eth->dst_addr = t->gw_mac;
		eth->src_addr = t->mac;
		eth->ether_type = rte_cpu_to_be_16(ETHER_TYPE_BYE);
		send_one(t->port, m);
		usleep(50000); /* the reflector polls at least this often */
	}
	port_stop(t->port);
	free(t);
	eal_stop();
}

static const struct lg_transport_ops memif_ops = {
	.name = "memif",
	.send = memif_send,
	.recv = memif_recv,
	.wait = memif_wait,
	.describe = memif_describe,
	.destroy = memif_destroy,
};

/* The gateway's MAC, by ARP: a request every 200 ms for 5 s. */
static int resolve_gw(struct memif *t)
{
	struct lg_pkt scratch;
	uint8_t buf[LG_BUF];

	scratch.data = buf;
	for (int i = 0; i < 500 && !t->has_gw_mac; i++) {
		if (i % 20 == 0)
			arp_request(t);
		while (memif_recv(&t->base, &scratch, 1) > 0)
			; /* datagrams before we know who sends them: dropped */
		usleep(10000);
	}
	return t->has_gw_mac ? 0 : -EHOSTUNREACH;
}

int lg_memif_create(const struct dpb_plan *p, const struct lg_memif_opts *o,
		    struct lg_transport **out)
{
	struct memif *t;
	int rc;

	if (p->gw.family != AF_INET) {
		fprintf(stderr, "loadgen: the memif transport speaks IPv4 only\n");
		return -EAFNOSUPPORT;
	}
	rc = eal_start(o);
	if (rc != 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		rc = -ENOMEM;
		goto fail_eal;
	}
	t->base.ops = &memif_ops;
	t->plan = *p;
	ipv4_of(&p->peer, &t->ip);
	ipv4_of(&p->gw, &t->gw_ip);
	t->nb_queues = o->nb_queues > 0 ? (uint16_t)o->nb_queues : 1;
	rc = port_start(&t->port, &t->pool, &t->mac, !o->is_server, t->nb_queues);
	if (rc != 0)
		goto fail;
	rc = link_wait(t->port, !o->is_server, 10, NULL);
	if (rc != 0)
		goto fail_port;
	if (o->gw_mac != NULL) {
		if (rte_ether_unformat_addr(o->gw_mac, &t->gw_mac) != 0) {
			fprintf(stderr, "loadgen: --gw-mac: not a MAC address: '%s'\n", o->gw_mac);
			rc = -EINVAL;
			goto fail_port;
		}
		t->has_gw_mac = true;
	} else if ((rc = resolve_gw(t)) != 0) {
		fprintf(stderr, "loadgen: memif: no ARP answer for the gateway's address\n");
		goto fail_port;
	}
	*out = &t->base;
	return 0;
fail_port:
	port_stop(t->port);
fail:
	free(t);
fail_eal:
	eal_stop();
	return rc;
}

int lg_memif_reflect(const struct lg_memif_opts *o, double duration_s, volatile int *stop)
{
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	uint64_t nb_udp = 0, nb_arp = 0, nb_other = 0, nb_tx_drop = 0;
	uint64_t t_end = lg_mono_ns() + (uint64_t)(duration_s * 1e9);
	bool is_bye = false;
	uint16_t port;
	int rc;

	rc = eal_start(o);
	if (rc != 0)
		return rc;
	rc = port_start(&port, &pool, &mac, !o->is_server, 1);
	if (rc == 0) {
		/* What a script waits for before it starts the client. */
		fprintf(stderr, "loadgen: memif %s listening on %s\n",
			o->is_server ? "server" : "client", o->socket_path);
		rc = link_wait(port, !o->is_server, 60, stop);
		if (rc != 0)
			port_stop(port);
	}
	if (rc != 0) {
		eal_stop();
		return rc;
	}
	for (uint64_t loops = 0; !is_bye && !*stop && (duration_s <= 0 || lg_mono_ns() < t_end);
	     loops++) {
		struct rte_mbuf *ms[LG_BATCH], *out[LG_BATCH];
		uint16_t n, nb_out = 0, sent;

		/* Once the peer has gone, its rings are gone too: stop polling them. */
		if (!is_link_up(port))
			break;
		n = rte_eth_rx_burst(port, 0, ms, LG_BATCH);

		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = ms[i];
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

			if (m->data_len >= HDR_LEN &&
			    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
			    ip->next_proto_id == IPPROTO_UDP) {
				struct rte_udp_hdr *udp = (struct rte_udp_hdr *)
					((uint8_t *)ip + (ip->version_ihl & 0x0f) * 4);
				struct rte_ether_addr e = eth->src_addr;
				rte_be32_t a = ip->src_addr;
				rte_be16_t pt = udp->src_port;

				/* Swaps keep every checksum valid. */
				eth->src_addr = eth->dst_addr;
				eth->dst_addr = e;
				ip->src_addr = ip->dst_addr;
				ip->dst_addr = a;
				udp->src_port = udp->dst_port;
				udp->dst_port = pt;
				out[nb_out++] = m;
				nb_udp++;
			} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
				   arp_answer(m, &mac, 0, true)) {
				out[nb_out++] = m;
				nb_arp++;
			} else if (eth->ether_type == rte_cpu_to_be_16(ETHER_TYPE_BYE)) {
				rte_pktmbuf_free(m);
				is_bye = true;
			} else {
				rte_pktmbuf_free(m);
				nb_other++;
			}
		}
		sent = nb_out ? rte_eth_tx_burst(port, 0, out, nb_out) : 0;
		for (uint16_t i = sent; i < nb_out; i++) {
			rte_pktmbuf_free(out[i]);
			nb_tx_drop++;
		}
	}
	printf("loadgen: reflected_udp=%llu arp_answered=%llu other=%llu tx_drops=%llu bye=%d\n",
	       (unsigned long long)nb_udp, (unsigned long long)nb_arp,
	       (unsigned long long)nb_other, (unsigned long long)nb_tx_drop, is_bye);
	fflush(stdout);
	/* Without polling, let the client go before closing our side; then give the PMD's
	 * interrupt thread, which tears the departed peer's regions down after it marks the
	 * link down, time to finish before rte_eal_cleanup() unmaps memory under it (else a
	 * crash in that thread, about one run in fifteen). */
	for (int i = 0; is_bye && i < 100 && is_link_up(port); i++)
		usleep(10000);
	usleep(200000);
	port_stop(port);
	eal_stop();
	return 0;
}

#else /* !LG_HAVE_DPDK */

bool lg_memif_available(void)
{
	return false;
}

int lg_memif_create(const struct dpb_plan *p, const struct lg_memif_opts *o,
		    struct lg_transport **out)
{
	(void)p;
	(void)o;
	(void)out;
	return -ENOTSUP;
}

int lg_memif_reflect(const struct lg_memif_opts *o, double duration_s, volatile int *stop)
{
	(void)o;
	(void)duration_s;
	(void)stop;
	fprintf(stderr, "loadgen: this build has no DPDK\n");
	return -ENOTSUP;
}

#endif
