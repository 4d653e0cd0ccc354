/* SPDX-License-Identifier: MIT */
/*
 * loadgen: the media of N simulated calls, sent to a dataplane that tools/dpbench set up with
 * the same plan (tools/dpbench/plan.h), and checked on the way back (docs/performance.md,
 * "Calls through the dataplane").
 *
 * Every call has two legs, and each leg's peer sends 50 RTP packets a second (20 ms of audio),
 * spread evenly: the 2N streams take turns, so the load is smooth rather than one burst
 * every 20 ms. Each leg also sends an RTCP SR now and then (--rtcp-interval). Whatever comes
 * back is authenticated and checked (calls.c); the report gives what was sent, received, lost,
 * reordered, refused, the latency from the send stamp in each payload to the kernel's receive
 * time, and the CPU this process and the harness used.
 *
 * One thread. Two transports: UDP sockets (udp.c) for the socket backend, DPDK net_memif
 * (memif.c) for the DPDK backend; `--reflect` runs the memif reflector that tests the latter
 * without a dataplane (`--echo` on the sending side). The generator must stay ahead of what it
 * measures: it sends what is due in batches (--tick-us), may check most packets by their clear
 * header only (--verify-every), and reports how near its own limit it ran (busy_frac,
 * late_sends), so that a limit that is the generator's is not taken for the gateway's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lg.h"

struct opts {
	struct dpb_plan plan;
	const char *transport;
	const char *srtp_engine;
	double duration_s, drain_s, rtcp_interval_s;
	uint32_t pps;
	uint32_t payload_len;
	uint32_t verify_every;
	uint32_t tick_us;
	bool is_echo, is_reflect, is_quiet;
	int harness_pid;
	int cpu;
	struct lg_memif_opts memif;
};

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loadgen [options]\n"
		"  -t, --transport T       udp (default; the socket backend) or memif (DPDK)\n"
		"  -m, --mode MODE         bridge (default) or relay: as dpbench was started\n"
		"  -n, --calls N           calls (default 100)\n"
		"  -s, --seed S            key derivation seed (default 1)\n"
		"  --gw ADDR, --gw-port P  the gateway's address and first port (127.0.0.1, 20000)\n"
		"  --peer ADDR             our address (default: the gateway's)\n"
		"  --peer-port P           our first port (default 10000)\n"
		"  --profile-a P, --profile-b P   SRTP profiles, as dpbench's\n"
		"  --srtp-engine NAME      our SRTP engine: libsrtp2 (default) or ipsec-mb\n"
		"  -d, --duration SEC      sending time (default 5; --reflect: until a signal)\n"
		"  --drain SEC             time to wait for the last packets at most (default 2; it\n"
		"                          ends when every RTP packet is back)\n"
		"  --pps N                 RTP packets per second per direction per call (default 50)\n"
		"  --payload BYTES         RTP payload size (default 160: 20 ms of G.711)\n"
		"  --rtcp-interval SEC     an SR per leg every SEC seconds (default 5; 0: none)\n"
		"  --harness-pid PID       report that process's CPU use over the sending time, and\n"
		"                          send it SIGUSR1 (dpbench: print your counters) after the\n"
		"                          drain, 0.3 s before we leave\n"
		"  --cpu N                 run on CPU N (udp: affinity; memif: the EAL's lcore)\n"
		"  --echo                  expect our own packets back (a reflector), not the other\n"
		"                          leg's\n"
		"  --tick-us US            send what is due at most every US microseconds, in one\n"
		"                          batch (default 200; 0: each packet at its time); udp:\n"
		"                          sleep, not poll, between rounds\n"
		"  --verify-every K        decrypt and check whole one RTP packet in K per stream\n"
		"                          (default 1: all); the others by their clear header and\n"
		"                          length; latency from the whole ones\n"
		"  -q, --quiet             the report only\n"
		" memif transport (DPDK):\n"
		"  --memif-socket PATH     (default /run/ponte-dpbench.sock)\n"
		"  --memif-server          take the server role (default client)\n"
		"  --memif-queues N        queue pairs: as many as the gateway has lcores (default 1)\n"
		"  --gw-mac MAC            the gateway's MAC (default: asked by ARP)\n"
		"  --memory MB             EAL memory without hugepages (default 256)\n"
		"  --eal ARGS              more EAL arguments\n"
		"  --reflect               be the reflector: answer ARP, send every UDP frame back\n"
		"                          with addresses swapped (server role unless told)\n"
		"Exit: 0 no loss and no error, 1 loss or errors, 2 usage, 3 the generator could not\n"
		"keep its schedule (the result says nothing of the gateway), 4 setup failed.\n");
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

static int parse_secs(const char *s, double min, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= min) || v > 86400)
		return -EINVAL;
	*out = v;
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
	O_DRAIN,
	O_PPS,
	O_PAYLOAD,
	O_RTCP,
	O_HARNESS,
	O_CPU,
	O_ECHO,
	O_MEMIF_SOCKET,
	O_MEMIF_SERVER,
	O_GW_MAC,
	O_MEMORY,
	O_EAL,
	O_REFLECT,
	O_VERIFY,
	O_MEMIF_QUEUES,
	O_TICK,
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"transport", required_argument, NULL, 't'},
		{"mode", required_argument, NULL, 'm'},
		{"calls", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"gw", required_argument, NULL, O_GW},
		{"gw-port", required_argument, NULL, O_GW_PORT},
		{"peer", required_argument, NULL, O_PEER},
		{"peer-port", required_argument, NULL, O_PEER_PORT},
		{"profile-a", required_argument, NULL, O_PROFILE_A},
		{"profile-b", required_argument, NULL, O_PROFILE_B},
		{"srtp-engine", required_argument, NULL, O_ENGINE},
		{"drain", required_argument, NULL, O_DRAIN},
		{"pps", required_argument, NULL, O_PPS},
		{"payload", required_argument, NULL, O_PAYLOAD},
		{"rtcp-interval", required_argument, NULL, O_RTCP},
		{"harness-pid", required_argument, NULL, O_HARNESS},
		{"cpu", required_argument, NULL, O_CPU},
		{"echo", no_argument, NULL, O_ECHO},
		{"memif-socket", required_argument, NULL, O_MEMIF_SOCKET},
		{"memif-server", no_argument, NULL, O_MEMIF_SERVER},
		{"gw-mac", required_argument, NULL, O_GW_MAC},
		{"memory", required_argument, NULL, O_MEMORY},
		{"eal", required_argument, NULL, O_EAL},
		{"reflect", no_argument, NULL, O_REFLECT},
		{"verify-every", required_argument, NULL, O_VERIFY},
		{"memif-queues", required_argument, NULL, O_MEMIF_QUEUES},
		{"tick-us", required_argument, NULL, O_TICK},
		{NULL, 0, NULL, 0},
	};
	const char *gw = "127.0.0.1", *peer = NULL, *profile_b = NULL;
	uint32_t gw_port = 20000, peer_port = 10000, v;
	bool has_role = false, has_duration = false;
	char err[160];
	int c, li;

	memset(o, 0, sizeof(*o));
	o->transport = "udp";
	o->plan.mode = DPB_BRIDGE;
	o->plan.nb_calls = 100;
	o->plan.seed = 1;
	o->plan.profile_a = PONTE_SRTP_AEAD_AES_128_GCM;
	o->duration_s = 5;
	o->drain_s = 2;
	o->rtcp_interval_s = 5;
	o->pps = 50;
	o->payload_len = 160;
	o->verify_every = 1;
	o->tick_us = 200;
	o->cpu = -1;
	o->memif.socket_path = "/run/ponte-dpbench.sock";
	o->memif.cpu = -1;
	o->memif.memory_mb = 256;
	for (;;) {
		li = -1;
		c = getopt_long(argc, argv, "t:m:n:s:d:qh", longs, &li);
		if (c == -1)
			break;
		switch (c) {
		case 't':
			o->transport = optarg;
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
		case 'd':
			if (parse_secs(optarg, 0.01, &o->duration_s) != 0)
				goto bad;
			has_duration = true;
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
		case O_DRAIN:
			if (parse_secs(optarg, 0, &o->drain_s) != 0)
				goto bad;
			break;
		case O_PPS:
			if (parse_u32(optarg, 1, 100000, &o->pps) != 0)
				goto bad;
			break;
		case O_PAYLOAD:
			if (parse_u32(optarg, DPB_PAYLOAD_MIN, 1400, &o->payload_len) != 0)
				goto bad;
			break;
		case O_RTCP:
			if (parse_secs(optarg, 0, &o->rtcp_interval_s) != 0)
				goto bad;
			break;
		case O_HARNESS:
			if (parse_u32(optarg, 1, 1u << 30, &v) != 0)
				goto bad;
			o->harness_pid = (int)v;
			break;
		case O_CPU:
			if (parse_u32(optarg, 0, CPU_SETSIZE - 1, &v) != 0)
				goto bad;
			o->cpu = (int)v;
			o->memif.cpu = (int)v;
			break;
		case O_ECHO:
			o->is_echo = true;
			break;
		case O_MEMIF_SOCKET:
			o->memif.socket_path = optarg;
			break;
		case O_MEMIF_SERVER:
			o->memif.is_server = true;
			has_role = true;
			break;
		case O_GW_MAC:
			o->memif.gw_mac = optarg;
			break;
		case O_MEMORY:
			if (parse_u32(optarg, 64, 1 << 20, &v) != 0)
				goto bad;
			o->memif.memory_mb = v;
			break;
		case O_EAL:
			o->memif.eal_extra = optarg;
			break;
		case O_REFLECT:
			o->is_reflect = true;
			break;
		case O_TICK:
			if (parse_u32(optarg, 0, 20000, &o->tick_us) != 0)
				goto bad;
			break;
		case O_MEMIF_QUEUES:
			if (parse_u32(optarg, 1, 64, &v) != 0)
				goto bad;
			o->memif.nb_queues = v;
			break;
		case O_VERIFY:
			if (parse_u32(optarg, 1, 1000000, &o->verify_every) != 0)
				goto bad;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(o->transport, "udp") != 0 && strcmp(o->transport, "memif") != 0) {
		fprintf(stderr, "loadgen: --transport: unknown transport '%s' (udp, memif)\n",
			o->transport);
		return -EINVAL;
	}
	if (o->is_reflect) {
		if (!has_role)
			o->memif.is_server = true;
		if (!has_duration)
			o->duration_s = 0; /* until SIGINT or SIGTERM */
		return 0;
	}
	if (profile_b == NULL)
		profile_b = o->plan.mode == DPB_BRIDGE ? "none" : "gcm";
	if (dpb_profile_parse(profile_b, &o->plan.profile_b) != 0) {
		fprintf(stderr, "loadgen: --profile-b: unknown profile '%s'\n", profile_b);
		return -EINVAL;
	}
	if (ponte_addr_parse(&o->plan.gw, gw, (uint16_t)gw_port) != 0) {
		fprintf(stderr, "loadgen: --gw: not an IP address: '%s'\n", gw);
		return -EINVAL;
	}
	if (ponte_addr_parse(&o->plan.peer, peer != NULL ? peer : gw, (uint16_t)peer_port) != 0) {
		fprintf(stderr, "loadgen: --peer: not an IP address: '%s'\n", peer);
		return -EINVAL;
	}
	if (dpb_plan_check(&o->plan, err, sizeof(err)) != 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return -EINVAL;
	}
	return 0;
bad:
	if (li >= 0)
		fprintf(stderr, "loadgen: bad value for --%s: '%s'\n", longs[li].name, optarg);
	else
		fprintf(stderr, "loadgen: bad value for -%c: '%s'\n", c, optarg);
	return -EINVAL;
}

/*
 * The schedule: slot k of a cycle of nb slots, one cycle per period, slots evenly spaced.
 * Slot k % nb is call (k % nb) / 2, leg (k % nb) % 2.
 */
struct sched {
	uint64_t t0, period_ns, nb, k;
};

static uint64_t due(const struct sched *s)
{
	return s->t0 + (s->k / s->nb) * s->period_ns + (s->k % s->nb) * s->period_ns / s->nb;
}

struct run {
	const struct opts *o;
	struct lg_transport *t;
	struct lg_calls *lc;
	struct lg_pkt tx[LG_BATCH], rx[LG_BATCH];
	struct {
		uint32_t call;
		uint8_t leg;
		bool is_rtcp;
	} meta[LG_BATCH];
	uint8_t (*bufs)[LG_BUF];
	uint64_t busy_ns; /* CPU time, while sending, of the rounds that sent or received */
};

static unsigned receive_all(struct run *r, unsigned max_batches)
{
	unsigned total = 0;

	for (unsigned b = 0; b < max_batches; b++) {
		unsigned n = r->t->ops->recv(r->t, r->rx, LG_BATCH);

		for (unsigned i = 0; i < n; i++) {
			lg_calls_receive(r->lc, &r->rx[i]);
			r->rx[i].len = 0;
		}
		total += n;
		if (n < LG_BATCH)
			break;
	}
	return total;
}

static void flush(struct run *r, unsigned nb)
{
	if (nb == 0)
		return;
	r->t->ops->send(r->t, r->tx, nb);
	for (unsigned i = 0; i < nb; i++)
		lg_calls_sent(r->lc, r->meta[i].call, (enum dpb_leg)r->meta[i].leg,
			      r->meta[i].is_rtcp, r->tx[i].status);
}

struct sample {
	double self_cpu, harness_cpu, machine;
	struct lg_procs *procs;
	struct lg_udp_snmp snmp;
	uint64_t mono;
};

static void take_sample(const struct opts *o, struct sample *s)
{
	/* The slow part first (all of /proc), then the times the run is measured by. */
	s->procs = lg_procs_snapshot();
	s->self_cpu = lg_proc_cpu_s(0);
	s->harness_cpu = o->harness_pid > 0 ? lg_proc_cpu_s(o->harness_pid) : -1;
	s->machine = lg_machine_busy_s();
	s->mono = lg_mono_ns();
	lg_udp_snmp(&s->snmp);
}

static void run(struct run *r, struct sample *start, struct sample *end)
{
	const struct opts *o = r->o;
	struct lg_counts *cnt = lg_calls_counts(r->lc);
	struct sched rtp = {0}, rtcp = {0};
	uint64_t t_end, t_stop, tick_ns = (uint64_t)o->tick_us * 1000, next_round = 0;
	uint64_t next_lost_check = 0;
	bool is_sending = true;

	rtp.period_ns = 1000000000ull / o->pps;
	rtp.nb = 2ull * o->plan.nb_calls;
	rtcp.period_ns = (uint64_t)(o->rtcp_interval_s * 1e9);
	rtcp.nb = rtp.nb;
	take_sample(o, start);
	rtp.t0 = start->mono + 1000000; /* 1 ms: the first slot is not already late */
	/* The first SRs half an interval in, when each stream has sent something. */
	rtcp.t0 = rtp.t0 + rtcp.period_ns / 2;
	t_end = rtp.t0 + (uint64_t)(o->duration_s * 1e9);
	t_stop = t_end + (uint64_t)(o->drain_s * 1e9);
	for (;;) {
		uint64_t now = lg_mono_ns(), cpu0 = lg_thread_cpu_ns(), next;
		unsigned nb = 0;

		if (stop_flag && is_sending)
			t_end = now, t_stop = now + (uint64_t)(o->drain_s * 1e9);
		/* Sending ends when every slot due before t_end has gone, late or not, so that a
		 * run sends exactly its packets; unless it is hopelessly behind. */
		if (is_sending && now >= t_end &&
		    ((due(&rtp) >= t_end && (rtcp.period_ns == 0 || due(&rtcp) >= t_end)) ||
		     now > t_end + 2000000000ull || stop_flag)) {
			is_sending = false;
			take_sample(o, end);
			t_stop = now + (uint64_t)(o->drain_s * 1e9);
		}
		if (!is_sending && now >= t_stop)
			break;
		/* The drain ends early once every RTP packet sent is back (checked every 10 ms:
		 * it walks every stream). */
		if (!is_sending && now >= next_lost_check) {
			if (lg_calls_lost(r->lc) == 0)
				break;
			next_lost_check = now + 10000000;
		}
		/* Everything due, in time order, a batch at a time; once caught up, not again
		 * before a tick has passed, so that a round sends a batch rather than a packet
		 * (a system call, or a ring update, per packet would cost the generator more
		 * than what it measures). */
		while (is_sending && nb < LG_BATCH && now >= next_round) {
			bool is_rtcp = rtcp.period_ns != 0 && due(&rtcp) < due(&rtp);
			struct sched *s = is_rtcp ? &rtcp : &rtp;
			uint64_t d = due(s);
			uint32_t call = (uint32_t)((s->k % s->nb) / 2);
			enum dpb_leg leg = (enum dpb_leg)((s->k % s->nb) % 2);
			int rc;

			if (d > now || d >= t_end)
				break;
			if (now - d > cnt->max_lag_ns)
				cnt->max_lag_ns = now - d;
			if (now - d > rtp.period_ns)
				cnt->late_sends++;
			s->k++;
			r->tx[nb].data = r->bufs[nb];
			rc = is_rtcp ? lg_calls_build_rtcp(r->lc, call, leg, &r->tx[nb])
				     : lg_calls_build_rtp(r->lc, call, leg, &r->tx[nb]);
			if (rc != 0)
				continue;
			r->meta[nb].call = call;
			r->meta[nb].leg = (uint8_t)leg;
			r->meta[nb].is_rtcp = is_rtcp;
			nb++;
		}
		flush(r, nb);
		/* A polling transport spins here when idle: the CPU time of the rounds that did
		 * work is how near the generator is to its limit (its whole CPU time says
		 * nothing, and wall time would count the slices a busy machine took from it). */
		if (receive_all(r, 16) > 0 || nb > 0) {
			if (is_sending)
				r->busy_ns += lg_thread_cpu_ns() - cpu0;
		}
		if (nb == LG_BATCH)
			continue; /* behind: more is due at once */
		if (nb > 0)
			next_round = now + tick_ns;
		next = t_stop;
		if (is_sending) {
			next = due(&rtp);
			if (rtcp.period_ns != 0 && due(&rtcp) < next)
				next = due(&rtcp);
			if (next > t_end)
				next = t_end;
			if (next < next_round)
				next = next_round;
		}
		/* Receive at least every tick, the drain included. */
		if (tick_ns > 0 && next > now + tick_ns)
			next = now + tick_ns;
		if (next > lg_mono_ns())
			r->t->ops->wait(r->t, next);
	}
}

static void report(const struct opts *o, struct run *r, const struct sample *s0,
		   const struct sample *s1)
{
	const struct lg_counts *c = lg_calls_counts(r->lc);
	const struct lg_hist *h = lg_calls_latency(r->lc);
	double secs = (double)(s1->mono - s0->mono) / 1e9;
	uint64_t lost = lg_calls_lost(r->lc);
	uint64_t errors = c->auth_fail + c->replay + c->malformed + c->bad_payload +
			  c->bad_header + c->misrouted + c->rtcp_bad + c->protect_errors +
			  c->send_errors;
	bool is_overloaded = c->late_sends * 1000 > c->sent_rtp;
	const char *result = errors ? "errors" : is_overloaded ? "overloaded" : lost ? "loss" : "ok";
	char extra[256] = "";
	double self = secs > 0 ? (s1->self_cpu - s0->self_cpu) / secs : 0;
	double harness = o->harness_pid > 0 && s0->harness_cpu >= 0 && s1->harness_cpu >= 0 &&
				 secs > 0
			 ? (s1->harness_cpu - s0->harness_cpu) / secs
			 : -1.0;
	double other = -1, machine = -1;

	r->t->ops->describe(r->t, extra, sizeof(extra));
	printf("loadgen: transport=%s mode=%s calls=%u pps=%u payload=%u profile_a=%s "
	       "profile_b=%s seconds=%.2f echo=%d\n",
	       o->transport, dpb_mode_name(o->plan.mode), o->plan.nb_calls, o->pps,
	       o->payload_len, dpb_profile_short(o->plan.profile_a),
	       dpb_profile_short(o->plan.profile_b), secs, o->is_echo);
	printf("loadgen: sent_rtp=%" PRIu64 " recv_rtp=%" PRIu64 " unverified=%" PRIu64
	       " lost=%" PRIu64
	       " loss_pct=%.4f dups=%" PRIu64 " reordered=%" PRIu64 " too_old=%" PRIu64
	       " offered_pps=%.0f\n",
	       c->sent_rtp, c->recv_rtp, c->unverified, lost,
	       c->sent_rtp ? 100.0 * (double)lost / (double)c->sent_rtp : 0.0, c->dups,
	       c->reordered, c->too_old, secs > 0 ? (double)c->sent_rtp / secs : 0.0);
	printf("loadgen: sent_rtcp=%" PRIu64 " recv_rtcp=%" PRIu64 " peer_full=%" PRIu64
	       " rtcp_bad=%" PRIu64
	       " auth_fail=%" PRIu64 " replay=%" PRIu64 " malformed=%" PRIu64
	       " bad_header=%" PRIu64 " bad_payload=%" PRIu64 " misrouted=%" PRIu64
	       " protect_errors=%" PRIu64 " send_errors=%" PRIu64 "\n",
	       c->sent_rtcp, c->recv_rtcp, c->peer_full, c->rtcp_bad, c->auth_fail, c->replay,
	       c->malformed, c->bad_header, c->bad_payload, c->misrouted, c->protect_errors,
	       c->send_errors);
	printf("loadgen: latency_us_p50=%.1f latency_us_p90=%.1f latency_us_p99=%.1f "
	       "latency_us_p999=%.1f latency_us_max=%.1f\n",
	       lg_hist_quantile(h, 0.5) / 1e3, lg_hist_quantile(h, 0.9) / 1e3,
	       lg_hist_quantile(h, 0.99) / 1e3, lg_hist_quantile(h, 0.999) / 1e3,
	       (double)h->max / 1e3);
	/* What every other process of the machine ran meanwhile (kernel threads such as
	 * ksoftirqd included; loopback work the kernel does in a system call of ours or of the
	 * harness is counted as theirs): a run beside a busy neighbour is worth less. */
	other = lg_procs_delta(s0->procs, s1->procs, (int)getpid(), o->harness_pid, secs);
	/* Work in other PID namespaces shows only in the machine's totals: take the larger. */
	if (secs > 0 && s0->machine >= 0 && s1->machine >= 0) {
		machine = (s1->machine - s0->machine) / secs;
		if (machine - self - (harness > 0 ? harness : 0) > other)
			other = machine - self - (harness > 0 ? harness : 0);
	}
	printf("loadgen: self_cpu_cores=%.3f busy_frac=%.3f harness_cpu_cores=%.3f "
	       "other_cpu_cores=%.3f machine_busy_cores=%.3f max_send_lag_us=%.0f "
	       "late_sends=%" PRIu64 " udp_rcvbuf_errors=%" PRIu64 " udp_sndbuf_errors=%" PRIu64 " udp_in_errors=%" PRIu64 "%s%s\n",
	       self, secs > 0 ? (double)r->busy_ns / 1e9 / secs : 0.0, harness, other, machine,
	       (double)c->max_lag_ns / 1e3, c->late_sends,
	       s1->snmp.rcvbuf_errors - s0->snmp.rcvbuf_errors,
	       s1->snmp.sndbuf_errors - s0->snmp.sndbuf_errors,
	       s1->snmp.in_errors - s0->snmp.in_errors, extra[0] ? " " : "", extra);
	printf("loadgen: result=%s\n", result);
	if (self > 0.9 && !o->is_quiet)
		fprintf(stderr, "loadgen: this process used %.2f cores: it may be what limits "
				"the run\n", self);
	fflush(stdout);
}

static int exit_code(struct run *r)
{
	const struct lg_counts *c = lg_calls_counts(r->lc);
	uint64_t errors = c->auth_fail + c->replay + c->malformed + c->bad_payload +
			  c->bad_header + c->misrouted + c->rtcp_bad + c->protect_errors +
			  c->send_errors;

	if (errors)
		return 1;
	if (c->late_sends * 1000 > c->sent_rtp)
		return 3;
	return lg_calls_lost(r->lc) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct run r = {0};
	struct sample s0 = {0}, s1 = {0};
	struct opts o;
	int rc, status = 4;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.is_reflect) {
		/* The client's "print your counters" (--harness-pid): nothing to print. */
		signal(SIGUSR1, SIG_IGN);
		if (strcmp(o.transport, "memif") != 0) {
			fprintf(stderr, "loadgen: --reflect needs --transport memif\n");
			return 2;
		}
		rc = lg_memif_reflect(&o.memif, o.duration_s, &stop_flag);
		return rc == 0 ? 0 : 4;
	}
	if (o.cpu >= 0 && strcmp(o.transport, "udp") == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "loadgen: --cpu %d: %s\n", o.cpu, strerror(errno));
			return 4;
		}
	}
	r.o = &o;
	r.bufs = calloc(LG_BATCH, LG_BUF);
	for (unsigned i = 0; r.bufs != NULL && i < LG_BATCH; i++)
		r.rx[i].data = malloc(LG_BUF);
	if (r.bufs == NULL)
		goto out;
	for (unsigned i = 0; i < LG_BATCH; i++)
		if (r.rx[i].data == NULL)
			goto out;
	if (strcmp(o.transport, "udp") == 0) {
		rc = lg_udp_create(&o.plan, o.tick_us > 0, &r.t);
	} else if (!lg_memif_available()) {
		fprintf(stderr, "loadgen: --transport memif: this build has no DPDK\n");
		goto out;
	} else {
		rc = lg_memif_create(&o.plan, &o.memif, &r.t);
	}
	if (rc != 0) {
		fprintf(stderr, "loadgen: transport %s: %s\n", o.transport, strerror(-rc));
		goto out;
	}
	rc = lg_calls_create(&o.plan, o.srtp_engine, o.payload_len, o.is_echo, o.verify_every,
			     &r.lc);
	if (rc != 0) {
		fprintf(stderr, "loadgen: SRTP engine %s: %s\n",
			o.srtp_engine != NULL ? o.srtp_engine : "(default)",
			rc == -ENOENT ? "unknown" : strerror(-rc));
		goto out;
	}
	if (!o.is_quiet)
		fprintf(stderr, "loadgen: %u %s calls, %u packets/s each way each, for %.1f s\n",
			o.plan.nb_calls, dpb_mode_name(o.plan.mode), o.pps, o.duration_s);
	run(&r, &s0, &s1);
	report(&o, &r, &s0, &s1);
	status = exit_code(&r);
	lg_procs_free(s0.procs);
	lg_procs_free(s1.procs);
	/* The harness's counters while we are still connected: a DPDK dataplane's memif port
	 * may not survive its peer's departure long (docs/performance.md). */
	if (o.harness_pid > 0 && kill(o.harness_pid, SIGUSR1) == 0)
		usleep(300000);
out:
	lg_calls_destroy(r.lc);
	if (r.t != NULL)
		r.t->ops->destroy(r.t);
	for (unsigned i = 0; i < LG_BATCH; i++)
		free(r.rx[i].data);
	free(r.bufs);
	return status;
}
