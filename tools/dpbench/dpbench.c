/* SPDX-License-Identifier: MIT */
/*
 * dpbench: the dataplane alone, with N simulated calls installed, for tools/loadgen to send
 * their media through (docs/performance.md, "Calls through the dataplane").
 *
 * It links the dataplane library and nothing of the control plane: it opens the backend named
 * on the command line, binds every call's gateway ports, installs each call's flows as the
 * bridge or the relay does (flows.c), with keys derived from the seed and the call's index
 * (plan.h), says it is ready, and forwards until SIGINT or SIGTERM (or --duration). Then it
 * prints the dataplane's counters, summed over every flow, and exits. SIGUSR1 prints them
 * without stopping (loadgen --harness-pid asks so before it disconnects).
 *
 * With the DPDK backend (-b dpdk) the NIC is a net_memif server whose client is loadgen -t
 * memif, the gateway's address sits on a TAP exception port, and the lcores busy-poll; the
 * counters then include each lcore's and their sum (the "lcores=" line), by which a script
 * checks that the media went through the fast path and nothing but ARP reached the kernel.
 * Its gateway ports are the fast path's owned range (--dpdk-owned): no kernel socket each, so
 * that the number of calls is not bounded by the descriptor limit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ponte/dataplane.h>

#include "flows.h"
#include "plan.h"

struct opts {
	struct dpb_plan plan;
	const char *backend;
	const char *srtp_engine;
	double duration_s;
	const char *ready_path;
	bool is_quiet;
	/* DPDK backend */
	const char *dpdk_lcores;
	const char *dpdk_port;
	const char *dpdk_tap;
	const char *dpdk_tap_addr;
	const char *dpdk_prefix;
	uint32_t dpdk_memory_mb;
	uint32_t dpdk_mbufs;
	uint32_t dpdk_idle_sleep_us; /* 0: busy-poll */
	bool is_dpdk_huge;
	/* The owned port range; both 0 with has_dpdk_owned: off (a socket per port). */
	bool has_dpdk_owned;
	uint16_t dpdk_owned_min, dpdk_owned_max;
	bool is_stop_on_usr1;
};

struct counters {
	struct ponte_dp_stats dp;
	struct ponte_flow_stats flows; /* summed */
	uint64_t nb_flow_errors;
	double cpu_s, wall_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpbench [options]\n"
		"  -b, --backend NAME      socket (default) or dpdk\n"
		"  -m, --mode MODE         bridge (SRTP browser <-> RTP phone, default) or relay\n"
		"                          (SRTP <-> SRTP, browser <-> browser)\n"
		"  -n, --calls N           simulated calls (default 100)\n"
		"  -s, --seed S            key derivation seed (default 1; tools/dpbench/plan.h)\n"
		"  --gw ADDR               gateway address the ports bind (default 127.0.0.1)\n"
		"  --gw-port P             first gateway port (default 20000)\n"
		"  --peer ADDR             load generator's address (default: the gateway's)\n"
		"  --peer-port P           load generator's first port (default 10000)\n"
		"  --profile-a P           browser leg SRTP: gcm (default), cm, cm32, gcm256\n"
		"  --profile-b P           leg B: bridge default none (plain RTP; cm for SDES),\n"
		"                          relay default gcm\n"
		"  --srtp-engine NAME      libsrtp2 (default) or ipsec-mb\n"
		"  -d, --duration SEC      stop after SEC seconds (default: at SIGINT/SIGTERM)\n"
		"  -r, --ready FILE        write FILE once every flow is installed\n"
		"  -q, --quiet             only the counters at exit\n"
		" DPDK backend (docs/dpdk.md; loadgen -t memif is the other end of its NIC):\n"
		"  --dpdk-lcores LIST      forwarding lcores, CPU numbers (default 1); with several,\n"
		"                          loadgen --memif-queues as many\n"
		"  --dpdk-port DEVICE      the NIC (default net_memif0,role=server,\n"
		"                          socket=/run/ponte-dpbench.sock,id=0)\n"
		"  --dpdk-tap NAME         exception TAP interface (default dpbtap0)\n"
		"  --dpdk-tap-addr A/P     its address (default: --gw with /24)\n"
		"  --dpdk-prefix NAME      EAL file prefix (default dpbench-PID)\n"
		"  --dpdk-memory MB        EAL memory (default 512)\n"
		"  --dpdk-huge             take it from hugepages (default: ordinary memory,\n"
		"                          --no-huge)\n"
		"  --dpdk-mbufs N          mbufs per NUMA socket (default 16384)\n"
		"  --dpdk-idle-sleep US    an idle lcore backs off, sleeping up to US microseconds\n"
		"                          (default: it busy-polls), so that its CPU time is its work\n"
		"  --dpdk-owned MIN-MAX    UDP ports the fast path owns, no kernel socket each\n"
		"                          (default: the gateway ports of the calls; off: a socket per\n"
		"                          port, as before); added to ip_local_reserved_ports: run\n"
		"                          it in a network namespace of its own (unshare -n)\n"
		"  --stop-on-usr1          after the counters SIGUSR1 asks for, stop the dataplane and\n"
		"                          wait for SIGTERM, printing them again then: loadgen sends\n"
		"                          SIGUSR1 just before it leaves, and DPDK 22.11's memif PMD\n"
		"                          unmaps a departed peer's rings while an lcore may still\n"
		"                          poll them (a crash about once in 15 steps)\n");
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

enum {
	O_GW = 256,
	O_GW_PORT,
	O_PEER,
	O_PEER_PORT,
	O_PROFILE_A,
	O_PROFILE_B,
	O_ENGINE,
	O_DPDK_HUGE,
	O_DPDK_IDLE_SLEEP,
	O_DPDK_LCORES,
	O_DPDK_PORT,
	O_DPDK_TAP,
	O_DPDK_TAP_ADDR,
	O_DPDK_PREFIX,
	O_DPDK_MEMORY,
	O_DPDK_MBUFS,
	O_DPDK_OWNED,
	O_STOP_ON_USR1,
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"backend", required_argument, NULL, 'b'},
		{"mode", required_argument, NULL, 'm'},
		{"calls", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"ready", required_argument, NULL, 'r'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"gw", required_argument, NULL, O_GW},
		{"gw-port", required_argument, NULL, O_GW_PORT},
		{"peer", required_argument, NULL, O_PEER},
		{"peer-port", required_argument, NULL, O_PEER_PORT},
		{"profile-a", required_argument, NULL, O_PROFILE_A},
		{"profile-b", required_argument, NULL, O_PROFILE_B},
		{"srtp-engine", required_argument, NULL, O_ENGINE},
		{"dpdk-huge", no_argument, NULL, O_DPDK_HUGE},
		{"dpdk-idle-sleep", required_argument, NULL, O_DPDK_IDLE_SLEEP},
		{"dpdk-lcores", required_argument, NULL, O_DPDK_LCORES},
		{"dpdk-port", required_argument, NULL, O_DPDK_PORT},
		{"dpdk-tap", required_argument, NULL, O_DPDK_TAP},
		{"dpdk-tap-addr", required_argument, NULL, O_DPDK_TAP_ADDR},
		{"dpdk-prefix", required_argument, NULL, O_DPDK_PREFIX},
		{"dpdk-memory", required_argument, NULL, O_DPDK_MEMORY},
		{"dpdk-mbufs", required_argument, NULL, O_DPDK_MBUFS},
		{"dpdk-owned", required_argument, NULL, O_DPDK_OWNED},
		{"stop-on-usr1", no_argument, NULL, O_STOP_ON_USR1},
		{NULL, 0, NULL, 0},
	};
	const char *gw = "127.0.0.1", *peer = NULL, *profile_b = NULL;
	uint32_t gw_port = 20000, peer_port = 10000, v;
	char err[160];
	int c, li;

	memset(o, 0, sizeof(*o));
	o->backend = "socket";
	o->plan.mode = DPB_BRIDGE;
	o->plan.nb_calls = 100;
	o->plan.seed = 1;
	o->plan.profile_a = PONTE_SRTP_AEAD_AES_128_GCM;
	o->dpdk_lcores = "1";
	o->dpdk_port = "net_memif0,role=server,socket=/run/ponte-dpbench.sock,id=0";
	o->dpdk_tap = "dpbtap0";
	o->dpdk_memory_mb = 512;
	o->dpdk_mbufs = 16384;
	for (;;) {
		li = -1;
		c = getopt_long(argc, argv, "b:m:n:s:d:r:qh", longs, &li);
		if (c == -1)
			break;
		switch (c) {
		case 'b':
			o->backend = optarg;
			break;
		case 'm':
			if (dpb_mode_parse(optarg, &o->plan.mode) != 0)
				goto bad;
			break;
		case 'n':
			if (parse_u32(optarg, 1, 1000000, &o->plan.nb_calls) != 0)
				goto bad;
			break;
		case 's': {
			char *end;

			errno = 0;
			o->plan.seed = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0')
				goto bad;
			break;
		}
		case 'd': {
			char *end;

			o->duration_s = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(o->duration_s > 0))
				goto bad;
			break;
		}
		case 'r':
			o->ready_path = optarg;
			break;
		case 'q':
			o->is_quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case O_GW:
			gw = optarg;
			break;
		case O_GW_PORT:
			if (parse_u32(optarg, 1, 65535, &gw_port) != 0)
				goto bad;
			break;
		case O_PEER:
			peer = optarg;
			break;
		case O_PEER_PORT:
			if (parse_u32(optarg, 1, 65535, &peer_port) != 0)
				goto bad;
			break;
		case O_PROFILE_A:
			if (dpb_profile_parse(optarg, &o->plan.profile_a) != 0)
				goto bad;
			break;
		case O_PROFILE_B:
			profile_b = optarg;
			break;
		case O_ENGINE:
			o->srtp_engine = optarg;
			break;
		case O_DPDK_IDLE_SLEEP:
			if (parse_u32(optarg, 1, 1000000, &v) != 0)
				goto bad;
			o->dpdk_idle_sleep_us = v;
			break;
		case O_DPDK_HUGE:
			o->is_dpdk_huge = true;
			break;
		case O_DPDK_LCORES:
			o->dpdk_lcores = optarg;
			break;
		case O_DPDK_PORT:
			o->dpdk_port = optarg;
			break;
		case O_DPDK_TAP:
			o->dpdk_tap = optarg;
			break;
		case O_DPDK_TAP_ADDR:
			o->dpdk_tap_addr = optarg;
			break;
		case O_DPDK_PREFIX:
			o->dpdk_prefix = optarg;
			break;
		case O_DPDK_MEMORY:
			if (parse_u32(optarg, 64, 1 << 20, &v) != 0)
				goto bad;
			o->dpdk_memory_mb = v;
			break;
		case O_DPDK_MBUFS:
			if (parse_u32(optarg, 1024, 1 << 24, &v) != 0)
				goto bad;
			o->dpdk_mbufs = v;
			break;
		case O_DPDK_OWNED: {
			unsigned a, b;
			int n = -1;

			o->has_dpdk_owned = true;
			if (strcmp(optarg, "off") == 0)
				break;
			if (sscanf(optarg, "%u-%u%n", &a, &b, &n) != 2 || n != (int)strlen(optarg) ||
			    a == 0 || b < a || b > 65535)
				goto bad;
			o->dpdk_owned_min = (uint16_t)a;
			o->dpdk_owned_max = (uint16_t)b;
			break;
		}
		case O_STOP_ON_USR1:
			o->is_stop_on_usr1 = true;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "dpbench: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (profile_b == NULL)
		profile_b = o->plan.mode == DPB_BRIDGE ? "none" : "gcm";
	if (dpb_profile_parse(profile_b, &o->plan.profile_b) != 0) {
		fprintf(stderr, "dpbench: --profile-b: unknown profile '%s'\n", profile_b);
		return -EINVAL;
	}
	if (ponte_addr_parse(&o->plan.gw, gw, (uint16_t)gw_port) != 0) {
		fprintf(stderr, "dpbench: --gw: not an IP address: '%s'\n", gw);
		return -EINVAL;
	}
	if (ponte_addr_parse(&o->plan.peer, peer != NULL ? peer : gw, (uint16_t)peer_port) != 0) {
		fprintf(stderr, "dpbench: --peer: not an IP address: '%s'\n", peer);
		return -EINVAL;
	}
	if (dpb_plan_check(&o->plan, err, sizeof(err)) != 0) {
		fprintf(stderr, "dpbench: %s\n", err);
		return -EINVAL;
	}
	if (!o->has_dpdk_owned) {
		/* The calls' gateway ports, first to last. */
		o->dpdk_owned_min = o->plan.gw.port;
		o->dpdk_owned_max =
		    dpb_gw_port(&o->plan, o->plan.nb_calls - 1,
				(enum dpb_port)(dpb_nb_gw_ports(&o->plan) - 1));
	}
	return 0;
bad:
	if (li >= 0)
		fprintf(stderr, "dpbench: bad value for --%s: '%s'\n", longs[li].name, optarg);
	else
		fprintf(stderr, "dpbench: bad value for -%c: '%s'\n", c, optarg);
	return -EINVAL;
}

static void log_cb(void *ctx, int level, const char *msg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	if (level <= 2)
		fprintf(stderr, "dpbench: dataplane %s: %s\n", names[level & 3], msg);
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each call's ports are three sockets (bridge) in the socket backend, and in the DPDK backend
 * with --dpdk-owned off (a placeholder socket reserves each owned port's number in the
 * kernel; in the owned range there is none): raise the descriptor limit to what that needs,
 * as far as we are allowed. */
static int raise_fd_limit(const struct dpb_plan *p, bool has_sockets)
{
	uint64_t need = (has_sockets ? (uint64_t)p->nb_calls * dpb_nb_gw_ports(p) : 0) + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need; /* root (CAP_SYS_RESOURCE) may raise the hard limit too */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr,
			"dpbench: %" PRIu64 " descriptors needed for %u calls, the limit is lower "
			"and cannot be raised: %s\n",
			need, p->nb_calls, strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_ports(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t *ids)
{
	unsigned n = dpb_nb_gw_ports(p);
	char shown[64];

	for (uint32_t c = 0; c < p->nb_calls; c++) {
		for (unsigned k = 0; k < n; k++) {
			struct ponte_addr a;
			int rc;

			dpb_gw_addr(p, c, (enum dpb_port)k, &a);
			rc = ponte_dp_port_open(dp, &a, 0, 0, &ids[c * DPB_NB_PORTS + k]);
			if (rc != 0) {
				fprintf(stderr, "dpbench: call %u: port %s: %s\n", c,
					ponte_addr_str(&a, shown, sizeof(shown)), strerror(-rc));
				return rc;
			}
		}
		if (n < DPB_NB_PORTS) /* relay: leg B's RTCP is muxed on its RTP port */
			ids[c * DPB_NB_PORTS + DPB_P_B_RTCP] = ids[c * DPB_NB_PORTS + DPB_P_B];
	}
	return 0;
}

static void collect(struct ponte_dp *dp, const struct dpb_plan *p, struct counters *out)
{
	unsigned nf = dpb_nb_flows(p);

	memset(&out->flows, 0, sizeof(out->flows));
	out->nb_flow_errors = 0;
	ponte_dp_get_stats(dp, &out->dp);
	for (uint32_t c = 0; c < p->nb_calls; c++) {
		for (unsigned k = 0; k < nf; k++) {
			struct ponte_flow_stats st;

			if (ponte_dp_flow_stats(dp, dpb_flow_id(p, c, k), &st) != 0) {
				out->nb_flow_errors++;
				continue;
			}
			out->flows.rtp_in += st.rtp_in;
			out->flows.rtcp_in += st.rtcp_in;
			out->flows.bytes_in += st.bytes_in;
			out->flows.pkts_out += st.pkts_out;
			out->flows.bytes_out += st.bytes_out;
			out->flows.reports_out += st.reports_out;
			out->flows.srs_out += st.srs_out;
			out->flows.ssrc_switches += st.ssrc_switches;
			for (int d = 0; d < PONTE_DROP_NB; d++)
				out->flows.drops[d] += st.drops[d];
		}
	}
}

/*
 * Frames the lcores dropped before the load generator's first frame came: what the kernel
 * sends through the TAP as it brings it up (IPv6 router solicitations, MLD reports) meets a
 * memif NIC with no peer yet, whose transmit queue takes nothing. Those are not the run's.
 */
static uint64_t drops_before_peer[PONTE_DP_DROP_NB];
static bool has_peer_baseline;

/* Whether a DPDK lcore received anything yet; if so, remember its drops as the baseline. */
static void check_peer(struct ponte_dp *dp)
{
	uint64_t rx = 0, drops[PONTE_DP_DROP_NB] = {0};

	for (unsigned i = 0;; i++) {
		struct ponte_dp_lcore_stats l;

		if (ponte_dp_lcore_stats(dp, i, &l) != 0)
			break;
		rx += l.rx_pkts;
		for (int d = 0; d < PONTE_DP_DROP_NB; d++)
			drops[d] += l.drops[d];
	}
	if (rx == 0)
		return;
	memcpy(drops_before_peer, drops, sizeof(drops));
	has_peer_baseline = true;
}

/* The DPDK backend's lcores, one line each, then their sum (the line a script checks: media
 * of the installed flows must all be fast_pkts, and nothing but ARP go to the kernel), its
 * drops counted from the load generator's first frame on. */
static void print_lcores(FILE *f, struct ponte_dp *dp)
{
	struct ponte_dp_lcore_stats sum;
	unsigned nb = 0;
	uint64_t drops = 0, before = 0;

	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0;; i++, nb++) {
		struct ponte_dp_lcore_stats l;
		uint64_t ldrops = 0;

		if (ponte_dp_lcore_stats(dp, i, &l) != 0)
			break;
		for (int d = 0; d < PONTE_DP_DROP_NB; d++)
			ldrops += l.drops[d];
		fprintf(f,
			"dpbench: lcore=%u flows=%u rx_pkts=%" PRIu64 " tx_pkts=%" PRIu64
			" fast_pkts=%" PRIu64 " to_kernel=%" PRIu64 " from_kernel=%" PRIu64
			" no_flow=%" PRIu64 " punted=%" PRIu64 " handoffs=%" PRIu64
			" idle_sleeps=%" PRIu64 " srtp_auth_fail=%" PRIu64 " owned_port_drops=%" PRIu64
			" drops_tx_full=%" PRIu64 " drops_no_mbuf=%" PRIu64 " drops_all=%" PRIu64 "\n",
			l.lcore_id, l.nb_flows, l.rx_pkts, l.tx_pkts, l.fast_pkts, l.to_kernel,
			l.from_kernel, l.no_flow, l.punted, l.handoffs, l.idle_sleeps,
			l.srtp_auth_fail, l.owned_port_drops, l.drops[PONTE_DP_DROP_TX_FULL],
			l.drops[PONTE_DP_DROP_NO_MBUF], ldrops);
		sum.rx_pkts += l.rx_pkts;
		sum.fast_pkts += l.fast_pkts;
		sum.to_kernel += l.to_kernel;
		sum.from_kernel += l.from_kernel;
		sum.no_flow += l.no_flow;
		sum.punted += l.punted;
		sum.handoffs += l.handoffs;
		sum.input_pkts += l.input_pkts;
		sum.owned_port_drops += l.owned_port_drops;
		sum.drops[PONTE_DP_DROP_TX_FULL] += l.drops[PONTE_DP_DROP_TX_FULL];
		drops += ldrops;
	}
	if (nb == 0)
		return;
	for (int d = 0; d < PONTE_DP_DROP_NB; d++)
		before += drops_before_peer[d];
	fprintf(f,
		"dpbench: lcores=%u lc_rx_pkts=%" PRIu64 " lc_fast_pkts=%" PRIu64
		" lc_to_kernel=%" PRIu64 " lc_from_kernel=%" PRIu64 " lc_input_pkts=%" PRIu64
		" lc_no_flow=%" PRIu64 " lc_punted=%" PRIu64 " lc_handoffs=%" PRIu64
		" lc_owned_port_drops=%" PRIu64 " lc_drops_tx_full=%" PRIu64 " lc_drops_all=%" PRIu64
		" lc_drops_before_peer=%" PRIu64 "\n",
		nb, sum.rx_pkts, sum.fast_pkts, sum.to_kernel, sum.from_kernel, sum.input_pkts,
		sum.no_flow, sum.punted, sum.handoffs, sum.owned_port_drops,
		sum.drops[PONTE_DP_DROP_TX_FULL] - drops_before_peer[PONTE_DP_DROP_TX_FULL],
		drops - before, before);
}

static void print_counters(FILE *f, struct ponte_dp *dp, const struct counters *c)
{
	const struct ponte_flow_stats *s = &c->flows;

	fprintf(f,
		"dpbench: backend=%s flows=%u ports=%u rx_pkts=%" PRIu64 " tx_pkts=%" PRIu64
		" tx_errors=%" PRIu64 " no_flow=%" PRIu64 " punted=%" PRIu64 " punt_drops=%" PRIu64
		" input_drops=%" PRIu64 "\n",
		ponte_dp_backend_name(dp), c->dp.nb_flows, c->dp.nb_ports, c->dp.rx_pkts,
		c->dp.tx_pkts, c->dp.tx_errors, c->dp.no_flow, c->dp.punted, c->dp.punt_drops,
		c->dp.input_drops);
	fprintf(f,
		"dpbench: rtp_in=%" PRIu64 " rtcp_in=%" PRIu64 " bytes_in=%" PRIu64
		" pkts_out=%" PRIu64 " bytes_out=%" PRIu64 " reports_out=%" PRIu64
		" srs_out=%" PRIu64 " ssrc_switches=%" PRIu64 " flow_stat_errors=%" PRIu64 "\n",
		s->rtp_in, s->rtcp_in, s->bytes_in, s->pkts_out, s->bytes_out, s->reports_out,
		s->srs_out, s->ssrc_switches, c->nb_flow_errors);
	fprintf(f,
		"dpbench: drop_malformed=%" PRIu64 " drop_auth=%" PRIu64 " drop_replay=%" PRIu64
		" drop_pt=%" PRIu64 " drop_tx=%" PRIu64 " drop_source=%" PRIu64
		" drop_stale=%" PRIu64 "\n",
		s->drops[PONTE_DROP_MALFORMED], s->drops[PONTE_DROP_AUTH],
		s->drops[PONTE_DROP_REPLAY], s->drops[PONTE_DROP_PT], s->drops[PONTE_DROP_TX],
		s->drops[PONTE_DROP_SOURCE], s->drops[PONTE_DROP_STALE]);
	print_lcores(f, dp);
	fprintf(f, "dpbench: cpu_s=%.3f wall_s=%.3f cpu_cores=%.3f\n", c->cpu_s, c->wall_s,
		c->wall_s > 0 ? c->cpu_s / c->wall_s : 0.0);
	fflush(f);
}

/* Written to a temporary name and renamed, so a reader never sees half of it. */
static int write_ready(const char *path, const struct opts *o)
{
	char tmp[4096];
	char gw[64], peer[64];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "pid=%d\nbackend=%s\nmode=%s\ncalls=%u\nseed=%" PRIu64 "\ngw=%s\npeer=%s\n",
		(int)getpid(), o->backend, dpb_mode_name(o->plan.mode), o->plan.nb_calls,
		o->plan.seed, ponte_addr_str(&o->plan.gw, gw, sizeof(gw)),
		ponte_addr_str(&o->plan.peer, peer, sizeof(peer)));
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -errno;
	return 0;
}

/* The DPDK backend's settings for the bench: one memif NIC (loadgen is the client), the
 * gateway address on a TAP exception port, no hugepages unless asked, lcores that busy-poll. */
static void dpdk_config(const struct opts *o, struct ponte_dp_dpdk_config *dc,
			struct ponte_dp_dpdk_port *port, const char **addrs, char *addr_buf,
			size_t addr_len, char *prefix, size_t prefix_len)
{
	char gw[64];

	memset(dc, 0, sizeof(*dc));
	memset(port, 0, sizeof(*port));
	port->device = o->dpdk_port;
	port->rx_queues = 0;
	if (o->dpdk_tap_addr != NULL) {
		snprintf(addr_buf, addr_len, "%s", o->dpdk_tap_addr);
	} else {
		struct ponte_addr a = o->plan.gw;

		a.port = 0;
		ponte_addr_str(&a, gw, sizeof(gw));
		/* ponte_addr_str() writes "ip:0" or "[ip]:0": keep the address alone. */
		if (gw[0] == '[') {
			*strchr(gw, ']') = '\0';
			snprintf(addr_buf, addr_len, "%s/64", gw + 1);
		} else {
			*strrchr(gw, ':') = '\0';
			snprintf(addr_buf, addr_len, "%s/24", gw);
		}
	}
	addrs[0] = addr_buf;
	addrs[1] = NULL;
	if (o->dpdk_prefix != NULL)
		snprintf(prefix, prefix_len, "%s", o->dpdk_prefix);
	else
		snprintf(prefix, prefix_len, "dpbench-%d", (int)getpid());
	dc->lcores = o->dpdk_lcores;
	dc->memory_mb = o->dpdk_memory_mb;
	dc->mempool_size = o->dpdk_mbufs;
	dc->is_no_huge = !o->is_dpdk_huge;
	dc->file_prefix = prefix;
	dc->ports = port;
	dc->nb_ports = 1;
	dc->exception_device = "";
	dc->exception_tap = o->dpdk_tap;
	dc->exception_addresses = addrs;
	/* A benchmark: no back-off latency, unless asked to measure CPU time per packet. */
	dc->is_idle_poll = o->dpdk_idle_sleep_us == 0;
	dc->idle_sleep_us = o->dpdk_idle_sleep_us;
	dc->owned_port_min = o->dpdk_owned_min;
	dc->owned_port_max = o->dpdk_owned_max;
}

int main(int argc, char **argv)
{
	struct ponte_dp_dpdk_config dc;
	struct ponte_dp_dpdk_port dport;
	const char *addrs[2];
	char addr_buf[80], prefix[64];
	struct ponte_dp_config cfg = {0};
	struct ponte_dp *dp = NULL;
	struct counters cnt;
	struct opts o;
	uint32_t *port_ids = NULL;
	char *last_text = NULL;
	size_t last_len = 0;
	FILE *last;
	double cpu0, wall0;
	sigset_t sigs;
	int rc, status = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (strcmp(o.backend, "socket") != 0 && strcmp(o.backend, "dpdk") != 0) {
		fprintf(stderr, "dpbench: --backend: unknown backend '%s' (socket, dpdk)\n",
			o.backend);
		return 2;
	}
	if (strcmp(o.backend, "dpdk") == 0) {
		if (!ponte_dp_has_backend("dpdk")) {
			fprintf(stderr, "dpbench: backend dpdk: this build has no DPDK backend "
					"(meson -Ddpdk=enabled, libdpdk-dev)\n");
			return 3;
		}
		dpdk_config(&o, &dc, &dport, addrs, addr_buf, sizeof(addr_buf), prefix,
			    sizeof(prefix));
		cfg.dpdk = &dc;
	}
	if (raise_fd_limit(&o.plan, cfg.dpdk == NULL || o.dpdk_owned_max == 0) != 0)
		return 1;

	/* The dataplane's threads inherit this mask: the signals come to sigtimedwait() here. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	cfg.backend = o.backend;
	cfg.srtp_engine = o.srtp_engine;
	cfg.max_ports = o.plan.nb_calls * dpb_nb_gw_ports(&o.plan) + 16;
	cfg.max_flows = o.plan.nb_calls * dpb_nb_flows(&o.plan) + 16;
	cfg.log = log_cb;
	rc = ponte_dp_create(&cfg, &dp);
	if (rc != 0) {
		fprintf(stderr, "dpbench: backend %s: %s\n", o.backend,
			rc == -ENOENT && o.srtp_engine != NULL ? "unknown SRTP engine"
							       : strerror(-rc));
		return 1;
	}
	port_ids = calloc((size_t)o.plan.nb_calls * DPB_NB_PORTS, sizeof(*port_ids));
	if (port_ids == NULL)
		goto out;
	if (open_ports(dp, &o.plan, port_ids) != 0)
		goto out;
	for (uint32_t c = 0; c < o.plan.nb_calls; c++) {
		rc = dpb_install_call(dp, &o.plan, c, &port_ids[c * DPB_NB_PORTS]);
		if (rc != 0) {
			fprintf(stderr, "dpbench: call %u: flow: %s\n", c, strerror(-rc));
			goto out;
		}
	}
	rc = ponte_dp_sync(dp);
	if (rc != 0) {
		fprintf(stderr, "dpbench: sync: %s\n", strerror(-rc));
		goto out;
	}
	if (o.ready_path != NULL && (rc = write_ready(o.ready_path, &o)) != 0) {
		fprintf(stderr, "dpbench: %s: %s\n", o.ready_path, strerror(-rc));
		goto out;
	}
	if (!o.is_quiet)
		fprintf(stderr, "dpbench: ready: %s backend, %u %s calls, gateway %s port %u..%u\n",
			ponte_dp_backend_name(dp), o.plan.nb_calls, dpb_mode_name(o.plan.mode),
			ponte_addr_str(&o.plan.gw, addr_buf, sizeof(addr_buf)), o.plan.gw.port,
			dpb_gw_port(&o.plan, o.plan.nb_calls - 1, DPB_P_B_RTCP));

	cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = now_s(CLOCK_MONOTONIC);
	for (;;) {
		/* Every 10 ms until the generator's first frame, for the drops' baseline. */
		struct timespec ts = {has_peer_baseline || cfg.dpdk == NULL ? 1 : 0, 10000000};
		int sig;

		if (o.duration_s > 0) {
			double left = wall0 + o.duration_s - now_s(CLOCK_MONOTONIC);

			if (left <= 0)
				break;
			if (left < 1) {
				ts.tv_sec = 0;
				ts.tv_nsec = (long)(left * 1e9);
			}
		}
		if (!has_peer_baseline && cfg.dpdk != NULL && dp != NULL)
			check_peer(dp);
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGUSR1 && dp != NULL) {
			collect(dp, &o.plan, &cnt);
			cnt.cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
			cnt.wall_s = now_s(CLOCK_MONOTONIC) - wall0;
			if (!o.is_stop_on_usr1) {
				print_counters(stdout, dp, &cnt);
				continue;
			}
			/* The last counters: kept, and the lcores stopped (destroying the
			 * dataplane stops them first) before the peer leaves. */
			last = open_memstream(&last_text, &last_len);
			if (last != NULL) {
				print_counters(last, dp, &cnt);
				fclose(last);
				fputs(last_text, stdout);
				fflush(stdout);
			}
			ponte_dp_destroy(dp);
			dp = NULL;
		}
	}
	if (dp == NULL) {
		/* Stopped at SIGUSR1: its counters again, the script reads either. */
		if (last_text != NULL)
			fputs(last_text, stdout);
		status = 0;
		goto out;
	}
	rc = ponte_dp_sync(dp);
	collect(dp, &o.plan, &cnt);
	cnt.cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	cnt.wall_s = now_s(CLOCK_MONOTONIC) - wall0;
	print_counters(stdout, dp, &cnt);
	status = rc == 0 ? 0 : 1;
out:
	ponte_dp_destroy(dp);
	free(last_text);
	free(port_ids);
	if (o.ready_path != NULL)
		unlink(o.ready_path);
	return status;
}
