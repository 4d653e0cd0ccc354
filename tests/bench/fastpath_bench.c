/* SPDX-License-Identifier: MIT */
/*
 * Benchmark 1 of issue 6: the DPDK fast path's packet rate on one lcore, in memory.
 *
 * The real backend: the EAL (--no-huge --no-pci unless -H), ponte_dp_create() with one
 * forwarding lcore on CPU 1 running its own loop (dataplane/dpdk/lcore.c), a net_ring NIC
 * and a net_ring exception port. Calls are installed through ponte_dp_flow_add() exactly as
 * the control plane installs them (tools/dpbench/flows.c, linked), each on ports of its own
 * (ponte_dp_port_open() on 127.1.x.y). This thread, on CPU 0, keeps the NIC's receive ring
 * full of pre-built Ethernet/IPv4/UDP frames (copied into fresh mbufs: the NIC's work) and
 * frees what the lcore transmits (the NIC's work too); the lcore does the gateway's: parse,
 * bulk flow lookup, SRTP unprotect, rewrite, SRTP protect, Ethernet/IP/UDP, TX burst.
 *
 * Cases: bridge srtp->rtp (browser to phone), bridge rtp->srtp (phone to browser), relay
 * srtp->srtp; RTP packets of -s sizes (12-byte header + payload: 172 is 20 ms of G.711);
 * -f flow counts: a flow is a stream carrying packets (bridge: one call per flow, its other
 * direction carrying packets at warm-up only; relay: two flows per call). Packets go
 * round-robin over all flows, in the same shuffled order each round (-O: the order they were
 * set up in), each flow's sequence numbers increasing as on the wire. Each flow first carries
 * two packets each way 1.3 s apart, untimed (SSRC state, latching, next hops learned, the
 * first receiver reports sent: then every 5 s on average, as for audio). The rate is packets
 * / the time from the first frame put in the ring to the lcore having processed the last (a
 * ponte_dp_sync() after the ring is empty).
 *
 * The lcore sleeps when it finds nothing to do, so the CPU time its thread had during a run
 * (/proc schedstat) is what its packets cost even when the machine is busy and this thread
 * cannot keep it fed: reported beside the rate as lcore_cpu_ns_per_pkt.
 *
 * Ports: attached as ICE sockets are (port_attach() below says why), each call on an address
 * of its own (127.1.x.y, 127.2.x.y, ...), so that 200,000 calls fit.
 *
 * Baselines in the same run, on this thread with the lcore idle, on the same packets: the
 * libsrtp2 engine (Debian's libsrtp2) doing the case's SRTP operations alone (on the packets
 * of the first min(calls, -l) calls, a context each, as its set-up is quadratic in sessions),
 * and the crypto bound, intel-ipsec-mb alone (tests/bench/imb_bound.c, shared with
 * srtp_bench).
 *
 * Usage: fastpath_bench [-n PACKETS] [-r RUNS] [-f N,N] [-s N,N] [-p cm,gcm] [-e ENG,ENG]
 *                       [-c CASES] [-l N] [-q N] [-k N] [-H] [-O] [-m]
 *   -n  timed packets per run (default 1000000)     -r  runs, the fastest kept (default 3)
 *   -f  flow counts (default 10000,200000)           -s  RTP sizes (default 172,1200)
 *   -p  profiles (default cm,gcm)                    -e  engines (default ipsec-mb,libsrtp2)
 *   -c  cases: srtp-rtp,rtp-srtp,srtp-srtp (default all)
 *   -l  the libsrtp2 engine only up to N flows, its baseline on N calls (default 1000; 0:
 *       no baseline)
 *   -q  at most N frames waiting in the NIC's receive ring (default 65535: as many as
 *       this thread can put there; 1024: no more than a NIC's receive descriptors hold)
 *   -k  churn: during the timed runs, N calls a second have their flows installed again
 *       (ponte_dp_flow_modify(), unchanged specs: what a re-INVITE does), each a command the
 *       lcore applies, as a gateway whose calls come and go applies adds and deletes
 *       (default 0; a gateway of 200,000 flows with 3-minute calls sees some 2,000 commands
 *       a second, 700 calls' worth)
 *   -H  hugepages (reserve them first: echo 2048 > /proc/sys/vm/nr_hugepages)
 *   -O  each round over the calls in the order they were set up, whose entries a first
 *       set-up lays out in that order: memory read in order, which a gateway whose calls come
 *       and go does not see (the rows before 2026-11-25; default: a shuffled order)
 *   -m  Markdown table rows besides the key=value lines
 * Not a test: run by hand on a quiet machine (docs/performance.md); -n 3000 -f 200 is the
 * smoke run of the bench-smoke suite.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

#include "../../tools/dpbench/flows.h"
#include "../../tools/dpbench/plan.h"
#include "imb_bound.h"
#include "srtp.h"

#define RING 65536
#define FEED 256
#define MBUF_DATA (RTE_PKTMBUF_HEADROOM + 2048 + 128)
#define HDR (14 + 20 + 8)
#define MAX_LIST 8

enum bcase { C_SRTP_RTP, C_RTP_SRTP, C_SRTP_SRTP, C_NB };
static const char *const case_names[C_NB] = {"srtp-rtp", "rtp-srtp", "srtp-srtp"};

struct opts {
	unsigned n, runs, lim, depth;
	unsigned churn; /* -k: calls refreshed per second during the timed runs */
	unsigned flows[MAX_LIST], nb_flows;
	unsigned sizes[MAX_LIST], nb_sizes;
	uint16_t profiles[MAX_LIST];
	unsigned nb_profiles;
	const char *engines[MAX_LIST];
	unsigned nb_engines;
	bool cases[C_NB], is_huge, is_md;
};

static bool is_in_order; /* -O */

/* One installation: a dataplane and its calls. */
struct setup {
	struct ponte_dp *dp;
	struct dpb_plan plan;
	unsigned nb_calls, nb_ports_per_call;
	struct ponte_addr *gw; /* per call and port kind */
	uint32_t *port_ids;    /* per call, DPB_NB_PORTS: its gateway ports' ids */
	/* Per call and leg: the sender's context (SRTP legs) and next packet number. */
	struct dp_srtp **tx[DPB_NB_LEGS];
	uint32_t *next[DPB_NB_LEGS];
};

/* A set of pre-built frames, fixed stride. */
struct frames {
	uint8_t *b;
	size_t stride;
	uint16_t *len;
	unsigned nb;
	/* For the baselines: per frame its call and leg. */
	uint32_t *call;
	uint8_t *leg;
};

static struct rte_mempool *pool;
static struct rte_ring *nic_rx, *nic_tx, *exc_rx, *exc_tx;
static uint16_t nic_port;
static struct rte_ether_addr gw_mac;
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x22};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The forwarding lcore's thread, for its CPU time. */
static char lcore_task[64];

static void lcore_task_find(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	char path[300], comm[32];
	FILE *f;

	while (dir != NULL && lcore_task[0] == '\0' && (de = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		if (de->d_name[0] == '.' || (f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL && strncmp(comm, "rte-worker-1", 12) == 0)
			snprintf(lcore_task, sizeof(lcore_task), "/proc/self/task/%.16s/schedstat",
				 de->d_name);
		fclose(f);
	}
	if (dir != NULL)
		closedir(dir);
	if (lcore_task[0] == '\0')
		fprintf(stderr, "# the lcore's thread not found: no lcore CPU time\n");
}

/* The nanoseconds the lcore's thread has run on a CPU (schedstat: not the time it waited
 * for one while other processes had it), 0 when unknown. */
static uint64_t lcore_cpu_ns(void)
{
	unsigned long long ns = 0;
	FILE *f = lcore_task[0] ? fopen(lcore_task, "r") : NULL;

	if (f != NULL) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static void on_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= 1)
		fprintf(stderr, "dp: %s\n", msg);
}

/* ---- the dataplane and the calls ---- */

/*
 * A gateway port on a, as an ICE socket is attached (ponte_dp_port_attach()): a port of the
 * NIC, entered in the lookup table as ponte_dp_port_open() enters it, but without the kernel
 * socket that port_open keeps open per port to reserve its number. With that socket, this
 * machine's 20,000 open files (hard limit) stop the bench near 6,600 bridged calls; the
 * lcore's work per packet is the same either way (the socket is never read).
 */
static int port_attach(struct ponte_dp *dp, const struct ponte_addr *a, uint32_t *port_id)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(a->port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	memcpy(&sin.sin_addr, a->ip, 4);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0 : -errno;
	if (rc == 0)
		rc = ponte_dp_port_attach(dp, fd, port_id);
	close(fd);
	return rc;
}

static int setup_create(struct setup *s, const struct opts *o, const char *engine,
			enum dpb_mode mode, uint16_t profile, unsigned nb_flows)
{
	static struct ponte_dp_dpdk_port nic_cfg;
	static struct ponte_dp_dpdk_config dcfg;
	struct ponte_dp_config cfg;
	uint32_t ports[DPB_NB_PORTS];
	int rc;

	memset(s, 0, sizeof(*s));
	s->nb_calls = mode == DPB_BRIDGE ? nb_flows : (nb_flows + 1) / 2;
	s->nb_ports_per_call = mode == DPB_BRIDGE ? 3 : 2;
	s->plan = (struct dpb_plan){.mode = mode,
				    .nb_calls = s->nb_calls,
				    .seed = 0x5eed,
				    .profile_a = profile,
				    .profile_b = mode == DPB_BRIDGE ? PONTE_SRTP_NULL : profile};
	ponte_addr_parse(&s->plan.gw, "127.1.0.1", 20000);
	ponte_addr_parse(&s->plan.peer, "192.0.2.10", 5000);
	nic_cfg = (struct ponte_dp_dpdk_port){.device = "net_ring_fpb_nic", .rx_desc = 1024,
					      .tx_desc = 1024};
	dcfg = (struct ponte_dp_dpdk_config){.lcores = "1",
					     .memory_mb = 4096,
					     .is_no_huge = !o->is_huge,
					     .file_prefix = "ponte-fpb",
					     .ports = &nic_cfg,
					     .nb_ports = 1,
					     .mempool_size = 2 * RING - 1,
					     .exception_device = "net_ring_fpb_exc",
					     /* Idle, it sleeps: its CPU time is then
					      * what its packets cost (lcore_cpu_ns()). */
					     .idle_sleep_us = 20};
	cfg = (struct ponte_dp_config){.backend = "dpdk",
				       .srtp_engine = engine,
				       .max_flows = 3 * s->nb_calls + 16,
				       .max_ports = 3 * s->nb_calls + 16,
				       .input_queue = 256,
				       .dpdk = &dcfg,
				       .log = on_log};
	rc = ponte_dp_create(&cfg, &s->dp);
	if (rc != 0)
		return rc;
	s->gw = calloc((size_t)s->nb_calls * s->nb_ports_per_call, sizeof(*s->gw));
	s->port_ids = calloc((size_t)s->nb_calls * DPB_NB_PORTS, sizeof(*s->port_ids));
	if (s->gw == NULL || s->port_ids == NULL)
		return -ENOMEM;
	for (int l = 0; l < DPB_NB_LEGS; l++) {
		s->tx[l] = calloc(s->nb_calls, sizeof(*s->tx[l]));
		s->next[l] = calloc(s->nb_calls, sizeof(*s->next[l]));
	}
	for (unsigned c = 0; c < s->nb_calls; c++) {
		uint32_t ip = htonl(0x7f010001u + c);

		for (unsigned k = 0; k < s->nb_ports_per_call; k++) {
			struct ponte_addr *a = &s->gw[c * s->nb_ports_per_call + k];

			a->family = AF_INET;
			a->port = (uint16_t)(20000 + k);
			memcpy(a->ip, &ip, 4);
			rc = port_attach(s->dp, a, &ports[k]);
			if (rc != 0) {
				fprintf(stderr, "port of call %u: %s\n", c, strerror(-rc));
				return rc;
			}
		}
		if (mode == DPB_RELAY)
			ports[DPB_P_B_RTCP] = ports[DPB_P_B];
		memcpy(&s->port_ids[(size_t)c * DPB_NB_PORTS], ports, sizeof(ports));
		rc = dpb_install_call(s->dp, &s->plan, c, ports);
		if (rc != 0) {
			fprintf(stderr, "flows of call %u: %s\n", c, strerror(-rc));
			return rc;
		}
		for (int l = 0; l < DPB_NB_LEGS; l++) {
			struct ponte_srtp_key k;

			dpb_key(&s->plan, c, l == DPB_LEG_A ? DPB_S_A_UP : DPB_S_B_UP, &k);
			if (k.profile != PONTE_SRTP_NULL)
				rc = dp_srtp_engine_default()->create(&k, DP_SRTP_PROTECT,
								      &s->tx[l][c]);
			explicit_bzero(&k, sizeof(k));
			if (rc != 0)
				return rc;
		}
	}
	return ponte_dp_sync(s->dp);
}

static void setup_destroy(struct setup *s)
{
	if (s->dp != NULL)
		ponte_dp_destroy(s->dp);
	for (int l = 0; l < DPB_NB_LEGS; l++) {
		for (unsigned c = 0; s->tx[l] != NULL && c < s->nb_calls; c++)
			dp_srtp_destroy(s->tx[l][c]);
		free(s->tx[l]);
		free(s->next[l]);
	}
	free(s->gw);
	free(s->port_ids);
	memset(s, 0, sizeof(*s));
}

/* ---- frames ---- */

/* The next RTP packet of leg's peer in call c, size bytes before SRTP, as a whole frame. */
static size_t make_frame(struct setup *s, uint32_t c, enum dpb_leg leg, size_t size, uint8_t *f)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(u + 1);
	uint32_t n = s->next[leg][c]++;
	uint16_t seq = (uint16_t)(dpb_seq0(&s->plan, c, leg) + n);
	uint32_t ts = dpb_ts0(&s->plan, c, leg) + n * dpb_ts_step(&s->plan);
	uint32_t ssrc = dpb_ssrc(&s->plan, c, leg == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER);
	enum dpb_port from = leg == DPB_LEG_A ? DPB_P_A : DPB_P_B;
	const struct ponte_addr *dst = &s->gw[c * s->nb_ports_per_call + from];
	struct ponte_addr src;
	size_t len = size;

	dpb_peer_addr(&s->plan, from, &src);
	rtp[0] = 0x80;
	rtp[1] = dpb_pt_sent(&s->plan, leg);
	rtp[2] = (uint8_t)(seq >> 8);
	rtp[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		rtp[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		rtp[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	dpb_payload_fill(&s->plan, rtp + 12, size - 12, c,
			 leg == DPB_LEG_A ? DPB_S_A_UP : DPB_S_B_UP, n, 0);
	if (s->tx[leg][c] != NULL && dp_srtp_rtp(s->tx[leg][c], rtp, &len, 2048 - HDR) != 0)
		return 0;
	memcpy(&eth->dst_addr, &gw_mac, 6);
	memcpy(&eth->src_addr, peer_mac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + 8 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, src.ip, 4);
	memcpy(&ip->dst_addr, dst->ip, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = htons(src.port);
	u->dst_port = htons(dst->port);
	u->dgram_len = htons((uint16_t)(8 + len));
	u->dgram_cksum = 0; /* none (RFC 768): the NIC's to check, not the gateway's */
	return HDR + len;
}

/* rounds rounds over every call, of the legs wanted (leg_mask bit per leg). */
static int frames_make(struct frames *fr, struct setup *s, unsigned rounds, unsigned leg_mask,
		       size_t size)
{
	unsigned per_round = s->nb_calls * (unsigned)__builtin_popcount(leg_mask);

	fr->stride = (HDR + size + 16 + 63) & ~(size_t)63;
	fr->nb = 0;
	fr->b = malloc((size_t)rounds * per_round * fr->stride);
	fr->len = malloc((size_t)rounds * per_round * sizeof(*fr->len));
	fr->call = malloc((size_t)rounds * per_round * sizeof(*fr->call));
	fr->leg = malloc((size_t)rounds * per_round);
	if (fr->b == NULL || fr->len == NULL || fr->call == NULL || fr->leg == NULL)
		return -ENOMEM;
	uint32_t *order = malloc(s->nb_calls * sizeof(*order));

	if (order == NULL)
		return -ENOMEM;
	/* The calls in a random order (Fisher-Yates, the same every run), the same each round:
	 * every call once per round, so each flow's packets keep their spacing. */
	for (uint32_t c = 0; c < s->nb_calls; c++)
		order[c] = c;
	if (!is_in_order) {
		uint64_t x = 0x9e3779b97f4a7c15ull;

		for (uint32_t c = s->nb_calls; c > 1; c--) {
			uint32_t j, t;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (uint32_t)(x % c);
			t = order[c - 1];
			order[c - 1] = order[j];
			order[j] = t;
		}
	}
	for (unsigned r = 0; r < rounds; r++)
		for (uint32_t k = 0; k < s->nb_calls; k++)
			for (int l = 0; l < DPB_NB_LEGS; l++) {
				uint32_t c = order[k];
				size_t len;

				if (!(leg_mask & (1u << l)))
					continue;
				len = make_frame(s, c, (enum dpb_leg)l, size,
						 fr->b + (size_t)fr->nb * fr->stride);
				if (len == 0) {
					free(order);
					return -EIO;
				}
				fr->len[fr->nb] = (uint16_t)len;
				fr->call[fr->nb] = c;
				fr->leg[fr->nb++] = (uint8_t)l;
			}
	free(order);
	return 0;
}

static void frames_free(struct frames *fr)
{
	free(fr->b);
	free(fr->len);
	free(fr->call);
	free(fr->leg);
	memset(fr, 0, sizeof(*fr));
}

static unsigned drain_tx(void)
{
	struct rte_mbuf *m[512];
	unsigned n, total = 0;

	while ((n = rte_ring_dequeue_burst(nic_tx, (void **)m, 512, NULL)) > 0) {
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	while ((n = rte_ring_dequeue_burst(exc_tx, (void **)m, 512, NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	return total;
}

/* Feed every frame through the lcore; the seconds from the first frame to the last done, and
 * in *cpu_s those the lcore's thread ran meanwhile. */
/* -k: the next call to refresh (dpb_refresh_call()), and how many were. */
static uint32_t churn_call;
static uint64_t nb_refreshed;

/* Refreshes calls at o->churn per second from t0, as far as the time now asks. */
static void churn(const struct opts *o, struct setup *s, double t0, uint64_t *done)
{
	uint64_t want = (uint64_t)((now_s() - t0) * o->churn);

	for (; *done < want; (*done)++) {
		uint32_t c = churn_call;

		churn_call = (churn_call + 7919u) % s->nb_calls; /* a prime stride: spread */
		if (dpb_refresh_call(s->dp, &s->plan, c, &s->port_ids[(size_t)c * DPB_NB_PORTS]) ==
		    0)
			nb_refreshed++;
	}
}

static double feed(const struct opts *o, struct setup *s, const struct frames *fr, bool is_timed,
		   double *cpu_s)
{
	unsigned next = 0;
	uint64_t cpu0 = lcore_cpu_ns(), done = 0;
	double t0 = now_s();

	while (next < fr->nb) {
		if (is_timed && o->churn > 0)
			churn(o, s, t0, &done);
		struct rte_mbuf *m[FEED];
		unsigned n = fr->nb - next < FEED ? fr->nb - next : FEED;

		if (rte_ring_count(nic_rx) + n <= o->depth &&
		    rte_pktmbuf_alloc_bulk(pool, m, n) == 0) {
			for (unsigned i = 0; i < n; i++) {
				unsigned k = next + i;

				memcpy(rte_pktmbuf_mtod(m[i], void *),
				       fr->b + (size_t)k * fr->stride, fr->len[k]);
				m[i]->data_len = fr->len[k];
				m[i]->pkt_len = fr->len[k];
			}
			rte_ring_enqueue_bulk(nic_rx, (void **)m, n, NULL);
			next += n;
		}
		drain_tx();
	}
	while (rte_ring_count(nic_rx) > 0)
		drain_tx();
	ponte_dp_sync(s->dp);
	t0 = now_s() - t0;
	*cpu_s = (double)(lcore_cpu_ns() - cpu0) * 1e-9;
	return t0;
}

/* ---- the baselines ---- */

/* The case's SRTP operations through an engine alone, one context per call and leg up to
 * nb_ctx (packets of later calls reuse those), one packet per call (libsrtp2 has no burst).
 * The contexts are new, so they take each stream's rollover counter for 0 (RFC 3711 §3.3.1):
 * a stream whose sequence numbers wrapped in the runs before fails its first packet here, and
 * is left out (a receiver that joins such a stream needs its ROC). ns per packet counted,
 * < 0 on an error. */
static double engine_alone(const struct dp_srtp_engine *eng, struct setup *s,
			   const struct frames *fr, enum bcase bc, unsigned nb_ctx)
{
	struct dp_srtp **rx = calloc(2 * (size_t)nb_ctx, sizeof(*rx));
	struct dp_srtp **tx = calloc(nb_ctx, sizeof(*tx));
	uint8_t *buf = malloc(2048);
	uint8_t *seen = calloc(2 * (size_t)nb_ctx, 1); /* per call and leg: 0 not yet, 1 in, 2 out */
	unsigned nb = 0, nb_out = 0;
	double t0, t;
	int rc = 0;

	for (unsigned c = 0; rc == 0 && c < nb_ctx; c++) {
		struct ponte_srtp_key k;

		/* Receive with the keys the packets were sent with; send with the other leg's. */
		for (int l = 0; rc == 0 && l < DPB_NB_LEGS; l++) {
			dpb_key(&s->plan, c, l == DPB_LEG_A ? DPB_S_A_UP : DPB_S_B_UP, &k);
			if (k.profile != PONTE_SRTP_NULL)
				rc = eng->create(&k, DP_SRTP_UNPROTECT, &rx[2 * c + l]);
		}
		dpb_key(&s->plan, c, DPB_S_A_DOWN, &k);
		if (rc == 0 && bc != C_SRTP_RTP)
			rc = eng->create(&k, DP_SRTP_PROTECT, &tx[c]);
		explicit_bzero(&k, sizeof(k));
	}
	t0 = now_s();
	for (unsigned i = 0; rc == 0 && i < fr->nb; i++) {
		unsigned c = fr->call[i];
		size_t len = fr->len[i] - HDR;

		if (c >= nb_ctx || seen[2 * c + fr->leg[i]] == 2)
			continue;
		memcpy(buf, fr->b + (size_t)i * fr->stride + HDR, len);
		if (rx[2 * c + fr->leg[i]] != NULL)
			rc = dp_srtp_rtp(rx[2 * c + fr->leg[i]], buf, &len, 2048);
		if (rc == -EBADMSG && seen[2 * c + fr->leg[i]] == 0) {
			seen[2 * c + fr->leg[i]] = 2;
			nb_out++;
			rc = 0;
			continue;
		}
		seen[2 * c + fr->leg[i]] = 1;
		nb++;
		/* The header as the output sends it: another SSRC, so a context of its own. */
		buf[8] ^= 0x5a;
		if (rc == 0 && tx[c] != NULL)
			rc = dp_srtp_rtp(tx[c], buf, &len, 2048);
	}
	t = now_s() - t0;
	if (rc != 0)
		fprintf(stderr, "# libsrtp2-alone: %s\n", strerror(-rc));
	if (nb_out > 0)
		fprintf(stderr, "# libsrtp2-alone: %u streams of %u calls left out (ROC not 0)\n",
			nb_out, nb_ctx);
	free(seen);
	for (unsigned c = 0; c < nb_ctx; c++) {
		dp_srtp_destroy(rx[2 * c]);
		dp_srtp_destroy(rx[2 * c + 1]);
		dp_srtp_destroy(tx[c]);
	}
	free(rx);
	free(tx);
	free(buf);
	return rc != 0 || nb == 0 ? -1 : t * 1e9 / nb;
}

/* The crypto bound: intel-ipsec-mb alone, the case's operations per packet (its unprotect
 * checks tags it made itself, untimed, with keys of its own: the cost is the same). */
static double crypto_bound(struct setup *s, const struct frames *fr, enum bcase bc,
			   uint16_t profile)
{
	struct imb_bound ib;
	uint8_t *bufs = malloc((size_t)IMB_BOUND_BURST * 2048);
	uint8_t *pkt[IMB_BOUND_BURST];
	size_t len[IMB_BOUND_BURST];
	uint32_t ctx_of[IMB_BOUND_BURST];
	double t = 0;
	int rc;

	rc = imb_bound_init(&ib, profile, s->nb_calls, NULL, NULL);
	if (rc != 0 || bufs == NULL) {
		free(bufs);
		return -1;
	}
	for (unsigned i = 0; rc == 0 && i < fr->nb; i += IMB_BOUND_BURST) {
		unsigned n = fr->nb - i < IMB_BOUND_BURST ? fr->nb - i : IMB_BOUND_BURST;
		double t0;

		for (unsigned j = 0; j < n; j++) {
			pkt[j] = bufs + (size_t)j * 2048;
			len[j] = fr->len[i + j] - HDR;
			memcpy(pkt[j], fr->b + (size_t)(i + j) * fr->stride + HDR, len[j]);
			ctx_of[j] = fr->call[i + j];
			if (bc != C_RTP_SRTP)
				len[j] -= imb_bound_tag_len(&ib);
		}
		if (bc != C_RTP_SRTP)
			rc = imb_bound_run(&ib, pkt, len, ctx_of, n, true);
		t0 = now_s();
		if (rc == 0 && bc != C_RTP_SRTP)
			rc = imb_bound_run(&ib, pkt, len, ctx_of, n, false);
		if (rc == 0 && bc != C_SRTP_RTP)
			rc = imb_bound_run(&ib, pkt, len, ctx_of, n, true);
		t += now_s() - t0;
	}
	imb_bound_fini(&ib);
	free(bufs);
	return rc == 0 ? t * 1e9 / fr->nb : -1;
}

/* ---- the run ---- */

/* Rows marked WRONG (report()'s notes). */
static unsigned nb_wrong;

static const char *profile_name(uint16_t p)
{
	return p == PONTE_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

/* ns: wall-clock per packet; cpu_ns: the lcore's CPU time per packet (0: a baseline, timed
 * on this thread, where the two are one). */
static void report(const struct opts *o, const char *impl, enum bcase bc, uint16_t profile,
		   unsigned size, unsigned flows, double ns, double cpu_ns, const char *note)
{
	char cpu[64] = "", cpu_md[64] = " | |";

	if (cpu_ns > 0) {
		snprintf(cpu, sizeof(cpu), " lcore_cpu_ns_per_pkt=%.1f lcore_cpu_mpps=%.3f", cpu_ns,
			 1e3 / cpu_ns);
		snprintf(cpu_md, sizeof(cpu_md), " %.2f | %.0f |", 1e3 / cpu_ns, cpu_ns);
	}
	printf("impl=%s case=%s profile=%s size=%u flows=%u ns_per_pkt=%.1f mpps=%.3f%s%s%s\n",
	       impl, case_names[bc], profile_name(profile), size, flows, ns, ns > 0 ? 1e3 / ns : 0,
	       cpu, note[0] ? " note=" : "", note);
	if (o->is_md)
		printf("| %s | %s | %s | %u | %u | %.2f | %.0f |%s%s\n", impl, case_names[bc],
		       profile == PONTE_SRTP_AEAD_AES_128_GCM ? "GCM" : "CM-80", size, flows,
		       ns > 0 ? 1e3 / ns : 0, ns, cpu_md, note);
	fflush(stdout);
}

/* The cases of one installation (mode, engine, profile, flows), each size. */
static int run_setup(const struct opts *o, const char *engine, enum dpb_mode mode,
		     uint16_t profile, unsigned flows)
{
	struct setup s;
	struct frames fr;
	double t0 = now_s();
	int rc = setup_create(&s, o, engine, mode, profile, flows);

	if (rc != 0) {
		fprintf(stderr, "set-up %s %u flows: %s\n", engine, flows, strerror(-rc));
		setup_destroy(&s);
		return rc;
	}
	fprintf(stderr, "# %s %s %s %u flows (%u calls): set up in %.1f s\n", engine,
		dpb_mode_name(mode), profile_name(profile), flows, s.nb_calls, now_s() - t0);
	/* Warm-up, untimed: one packet each way per call; then, once the flows' first receiver
	 * reports are due (about a second after a flow's first packet, whose stream is still in
	 * probation: pipeline.c), one more, which sends them. The timed runs then see reports at
	 * their steady rate: every 3.75 to 6.25 s per flow (PONTE_REPORT_MS_AUDIO). */
	for (int w = 0; rc == 0 && w < 2; w++) {
		double cpu;

		if (w > 0)
			usleep(1300 * 1000);
		if ((rc = frames_make(&fr, &s, 1, 3, 172)) == 0) {
			feed(o, &s, &fr, false, &cpu);
			frames_free(&fr);
		}
	}
	for (unsigned si = 0; rc == 0 && si < o->nb_sizes; si++) {
		for (int bc = 0; rc == 0 && bc < C_NB; bc++) {
			unsigned legs = bc == C_SRTP_RTP ? 1 : bc == C_RTP_SRTP ? 2 : 3;
			unsigned per_round = mode == DPB_BRIDGE ? s.nb_calls : 2 * s.nb_calls;
			unsigned rounds = (o->n + per_round - 1) / per_round;
			struct ponte_dp_lcore_stats st0, st1;
			double best = 0, best_cpu = 0;

			if (!o->cases[bc] || (bc == C_SRTP_SRTP) != (mode == DPB_RELAY))
				continue;
			memset(&st0, 0, sizeof(st0));
			ponte_dp_lcore_stats(s.dp, 0, &st0);
			for (unsigned r = 0; rc == 0 && r < o->runs; r++) {
				double t, cpu;

				if ((rc = frames_make(&fr, &s, rounds, legs, o->sizes[si])) != 0)
					break;
				t = feed(o, &s, &fr, true, &cpu);
				if (best == 0 || t < best)
					best = t;
				if (best_cpu == 0 || cpu < best_cpu)
					best_cpu = cpu;
				if (r + 1 < o->runs)
					frames_free(&fr);
			}
			if (rc != 0)
				break;
			memset(&st1, 0, sizeof(st1));
			ponte_dp_lcore_stats(s.dp, 0, &st1);
			{
				uint64_t in = st1.fast_pkts - st0.fast_pkts;
				uint64_t out = st1.tx_pkts - st0.tx_pkts;
				uint64_t want = (uint64_t)fr.nb * o->runs;
				char note[200];
				size_t nl;

				/* A row whose packets did not all go through the fast path, or
				 * failed authentication, measures something else: marked, and the
				 * bench exits 1 (its smoke runs are tests). */
				if (in != want || st1.srtp_auth_fail != st0.srtp_auth_fail)
					nb_wrong++;
				snprintf(note, sizeof(note),
					 "%s fast=%llu/%llu tx=%llu auth_fail=%llu replay=%llu "
					 "to_kernel=%llu",
					 in == want && st1.srtp_auth_fail == st0.srtp_auth_fail ? ""
												 : " WRONG",
					 (unsigned long long)in, (unsigned long long)want,
					 (unsigned long long)out,
					 (unsigned long long)(st1.srtp_auth_fail - st0.srtp_auth_fail),
					 (unsigned long long)(st1.srtp_replay - st0.srtp_replay),
					 (unsigned long long)(st1.to_kernel - st0.to_kernel));
				nl = strlen(note);
				if (o->churn > 0)
					snprintf(note + nl, sizeof(note) - nl, " refreshed=%llu",
						 (unsigned long long)nb_refreshed);
				nb_refreshed = 0;
				report(o, engine, (enum bcase)bc, profile, o->sizes[si], flows,
				       best * 1e9 / fr.nb, best_cpu * 1e9 / fr.nb, note);
			}
			/* Baselines on the same packets, this thread, the lcore idle. */
			if (strcmp(engine, "ipsec-mb") == 0) {
				double ns = crypto_bound(&s, &fr, (enum bcase)bc, profile);

				report(o, "crypto-bound:ipsec-mb", (enum bcase)bc, profile,
				       o->sizes[si], flows, ns, 0, "");
				if (o->lim > 0) {
					unsigned nb_ctx = s.nb_calls < o->lim ? s.nb_calls : o->lim;
					char note[48] = "";

					ns = engine_alone(&dp_srtp_engine_libsrtp, &s, &fr,
							  (enum bcase)bc, nb_ctx);
					if (nb_ctx < s.nb_calls)
						snprintf(note, sizeof(note), " the first %u calls only",
							 nb_ctx);
					report(o, "libsrtp2-alone", (enum bcase)bc, profile,
					       o->sizes[si], flows, ns, 0, note);
				}
			}
			frames_free(&fr);
		}
	}
	t0 = now_s();
	setup_destroy(&s);
	fprintf(stderr, "# torn down in %.1f s\n", now_s() - t0);
	return rc;
}

static unsigned parse_list(const char *arg, unsigned *out)
{
	unsigned n = 0;

	for (const char *p = arg; *p != '\0' && n < MAX_LIST; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
		out[n++] = (unsigned)strtoul(p, NULL, 10);
	return n;
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .n = 1000000, .runs = 3, .lim = 1000, .depth = RING - 1, .cases = {true, true, true}};
	char prefix[64], *eal_argv[16];
	int eal_argc = 0, opt, rc = 0;
	struct rlimit rl;

	o.nb_flows = parse_list("10000,200000", o.flows);
	o.nb_sizes = parse_list("172,1200", o.sizes);
	o.profiles[0] = PONTE_SRTP_AES128_CM_SHA1_80;
	o.profiles[1] = PONTE_SRTP_AEAD_AES_128_GCM;
	o.nb_profiles = 2;
	o.engines[0] = "ipsec-mb";
	o.engines[1] = "libsrtp2";
	o.nb_engines = 2;
	while ((opt = getopt(argc, argv, "n:r:f:s:p:e:c:l:q:k:HOm")) != -1) {
		switch (opt) {
		case 'n':
			o.n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o.runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			o.nb_flows = parse_list(optarg, o.flows);
			break;
		case 's':
			o.nb_sizes = parse_list(optarg, o.sizes);
			break;
		case 'p':
			o.nb_profiles = 0;
			if (strncmp(optarg, "cm", 2) == 0 || strstr(optarg, ",cm") != NULL)
				o.profiles[o.nb_profiles++] = PONTE_SRTP_AES128_CM_SHA1_80;
			if (strstr(optarg, "gcm") != NULL)
				o.profiles[o.nb_profiles++] = PONTE_SRTP_AEAD_AES_128_GCM;
			break;
		case 'e':
			o.nb_engines = 0;
			if (strstr(optarg, "ipsec-mb") != NULL)
				o.engines[o.nb_engines++] = "ipsec-mb";
			if (strstr(optarg, "libsrtp2") != NULL)
				o.engines[o.nb_engines++] = "libsrtp2";
			break;
		case 'c':
			for (int c = 0; c < C_NB; c++) {
				const char *at = strstr(optarg, case_names[c]);

				/* "rtp-srtp" is inside "srtp-srtp": whole names only. */
				while (at != NULL && at != optarg && at[-1] != ',')
					at = strstr(at + 1, case_names[c]);
				o.cases[c] = at != NULL;
			}
			break;
		case 'l':
			o.lim = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'q':
			o.depth = (unsigned)strtoul(optarg, NULL, 10);
			if (o.depth < FEED || o.depth >= RING) {
				fprintf(stderr, "-q: %u to %u frames\n", FEED, RING - 1);
				return 2;
			}
			break;
		case 'k':
			o.churn = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			o.is_huge = true;
			break;
		case 'O':
			is_in_order = true;
			break;
		case 'm':
			o.is_md = true;
			break;
		default:
			fprintf(stderr, "usage: see the top of tests/bench/fastpath_bench.c\n");
			return 2;
		}
	}
	if (o.runs == 0 || o.n == 0)
		return 2;
	/* A socket reserves each gateway port: three per bridged call. */
	rl.rlim_cur = rl.rlim_max = 1048576;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=ponte-fpb-%d", getpid());
	eal_argv[eal_argc++] = argv[0];
	/* Hugepage files unlinked once mapped: the prefix is per process, so a file left behind
	 * would hold its page until someone deletes it (the next run does not). */
	eal_argv[eal_argc++] = o.is_huge ? "--huge-unlink" : "--no-huge";
	eal_argv[eal_argc++] = "--no-pci";
	eal_argv[eal_argc++] = "--no-shconf";
	eal_argv[eal_argc++] = "-m";
	eal_argv[eal_argc++] = "2048";
	eal_argv[eal_argc++] = "-l";
	eal_argv[eal_argc++] = "0-1";
	eal_argv[eal_argc++] = prefix;
	eal_argv[eal_argc++] = "--no-telemetry";
	eal_argv[eal_argc++] = "--log-level=*:warning";
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	pool = rte_pktmbuf_pool_create("fpb_pool", 2 * RING - 1, 256, 0, MBUF_DATA, 0);
	nic_rx = rte_ring_create("fpb_nic_rx", RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	nic_tx = rte_ring_create("fpb_nic_tx", RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	exc_rx = rte_ring_create("fpb_exc_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	exc_tx = rte_ring_create("fpb_exc_tx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || nic_rx == NULL || nic_tx == NULL || exc_rx == NULL || exc_tx == NULL) {
		fprintf(stderr, "no memory for the rings and mbufs\n");
		return 1;
	}
	nic_port = (uint16_t)rte_eth_from_rings("fpb_nic", &nic_rx, 1, &nic_tx, 1, 0);
	rte_eth_from_rings("fpb_exc", &exc_rx, 1, &exc_tx, 1, 0);
	rte_eth_macaddr_get(nic_port, &gw_mac);
	lcore_task_find();
	dp_srtp_engine_default()->init();
	dp_srtp_engine_libsrtp.init();
	if (o.is_md) {
		printf("| implementation | case | profile | size | flows | Mpps | ns/packet | "
		       "Mpps per lcore CPU | lcore CPU ns/packet | notes |\n");
		printf("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	}
	for (unsigned e = 0; rc == 0 && e < o.nb_engines; e++)
		for (unsigned p = 0; rc == 0 && p < o.nb_profiles; p++)
			for (unsigned f = 0; rc == 0 && f < o.nb_flows; f++) {
				if (strcmp(o.engines[e], "libsrtp2") == 0 && o.flows[f] > o.lim) {
					fprintf(stderr,
						"# libsrtp2 %s %u flows: not run (more than -l %u: "
						"Debian's libsrtp2 sets sessions up in quadratic "
						"time)\n",
						profile_name(o.profiles[p]), o.flows[f], o.lim);
					continue;
				}
				for (int m = 0; rc == 0 && m < 2; m++)
					if ((m == DPB_BRIDGE && (o.cases[C_SRTP_RTP] ||
								 o.cases[C_RTP_SRTP])) ||
					    (m == DPB_RELAY && o.cases[C_SRTP_SRTP]))
						rc = run_setup(&o, o.engines[e], (enum dpb_mode)m,
							       o.profiles[p], o.flows[f]);
			}
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/ponte-fpb-%d", getpid());
	rmdir(prefix);
	if (nb_wrong > 0)
		fprintf(stderr, "%u row(s) WRONG: not every packet through the fast path\n", nb_wrong);
	return rc == 0 && nb_wrong == 0 ? 0 : 1;
}
