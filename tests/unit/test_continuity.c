/* SPDX-License-Identifier: MIT */
/*
 * One continuous stream through an ssrc_any output, whatever the source's SSRC, and latching
 * anew when the control plane says the source moved:
 *  - dp_rtp_cont_apply with a made-up clock: the first stream unchanged, a new SSRC joined to
 *    the last packet sent (sequence + 1, timestamp + elapsed time at the payload type's clock,
 *    8 kHz when unknown, both across their wraps), the marker on the first packet, late packets
 *    of a replaced stream stale for a second and a new switch after, mapped SSRCs untouched;
 *    the SR helpers;
 *  - the socket dataplane with real UDP sockets on 127.0.0.1 and SRTP to the receiver: the
 *    same seen by a receiver (timestamps bounded by clock readings taken around each packet),
 *    stale packets dropped and counted, a dropped payload type no switch, the state kept by a
 *    modify that keeps the output's destination and not by one that changes it and its key
 *    (the same key to a new destination: test_srtp_move.c), SRs (in the
 *    flow, in an RTCP-only flow, forwarded) shifted by the same delta and none made for a
 *    replaced stream;
 *  - latch_epoch: the same epoch keeps the latched source across a modify, a new one latches
 *    to the next source, and outputs that follow the latch send to their own dst meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ponte/dataplane.h>

#include "pipeline.h"
#include "rtp.h"
#include "srtp.h"
#include "tap.h"

#define MS 1000000ull /* nanoseconds */
#define NS_PER_S 1000000000ull
#define RECV_MS 2000 /* how long a packet that must come may take */
#define QUIET_MS 200 /* how long to listen for a packet that must not come */
#define PAYLOAD 160
#define TS_STEP 160 /* 20 ms at 8 kHz */
#define ANY 0x0b0b0b0bu

static struct ponte_dp *dp;
static const struct dp_srtp_engine *eng;

/* ---- helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static size_t make_rtp(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		       size_t payload)
{
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	wr32(pkt + 4, ts);
	wr32(pkt + 8, ssrc);
	for (size_t i = 0; i < payload; i++)
		pkt[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

/* RFC 3550 §6.4.1: an SR without report blocks. */
static size_t make_sr(uint8_t *p, uint32_t ssrc, uint64_t ntp, uint32_t ts, uint32_t pkts,
		      uint32_t octets)
{
	p[0] = 0x80;
	p[1] = 200;
	p[2] = 0;
	p[3] = 6;
	wr32(p + 4, ssrc);
	wr32(p + 8, (uint32_t)(ntp >> 32));
	wr32(p + 12, (uint32_t)ntp);
	wr32(p + 16, ts);
	wr32(p + 20, pkts);
	wr32(p + 24, octets);
	return 28;
}

/* RFC 3550 §6.5: one chunk with the CNAME "phone", null-terminated and padded: 16 bytes. */
static size_t make_sdes(uint8_t *p, uint32_t ssrc)
{
	memset(p, 0, 16);
	p[0] = 0x81;
	p[1] = 202;
	p[3] = 3;
	wr32(p + 4, ssrc);
	p[8] = 1;
	p[9] = 5;
	memcpy(p + 10, "phone", 5);
	return 16;
}

/* The RTP clock ticks in ns nanoseconds at hz, rounded down as the dataplane rounds. */
static uint32_t ticks(uint64_t ns, uint32_t hz)
{
	return (uint32_t)(ns / NS_PER_S * hz + ns % NS_PER_S * hz / NS_PER_S);
}

static void dump(const char *what, const uint8_t *p, int n)
{
	printf("#   %s (%d bytes):", what, n);
	for (int i = 0; i < n && i < 64; i++)
		printf("%s%02x", i % 4 ? "" : " ", p[i]);
	printf("\n");
}

/* A plain UDP socket on 127.0.0.1 standing for a phone or a browser. */
struct peer {
	int fd;
	struct ponte_addr addr;
};

static void peer_open(struct peer *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	bind(p->fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(p->fd, (struct sockaddr *)&sa, &len);
	ponte_addr_parse(&p->addr, "127.0.0.1", ntohs(sa.sin_port));
}

static void peer_send(const struct peer *p, const struct ponte_addr *to, const uint8_t *pkt,
		      size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};

	memcpy(&sa.sin_addr, to->ip, 4);
	sendto(p->fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* Receive one datagram within RECV_MS and, with ctx, unprotect it: the plain length, or -1
 * when nothing came or it did not authenticate. */
static int recv_plain(const struct peer *p, struct dp_srtp *ctx, bool is_rtcp, uint8_t *buf,
		      size_t cap)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	ssize_t n;
	size_t len;

	if (poll(&pfd, 1, RECV_MS) != 1)
		return -1;
	n = recv(p->fd, buf, cap, 0);
	if (n < 0 || ctx == NULL)
		return (int)n;
	len = (size_t)n;
	if ((is_rtcp ? eng->rtcp(ctx, buf, &len, cap) : eng->rtp(ctx, buf, &len, cap)) != 0)
		return -1;
	return (int)len;
}

static bool peer_quiet(const struct peer *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	return poll(&pfd, 1, QUIET_MS) == 0;
}

static void key_fill(struct ponte_srtp_key *k, uint16_t profile, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->profile = profile;
	ponte_srtp_profile_sizes(profile, &k->key_len, &k->salt_len, &(uint8_t){0});
	for (int i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(seed + i);
	for (int i = 0; i < k->salt_len; i++)
		k->salt[i] = (uint8_t)(seed * 3 + i);
}

static struct ponte_flow_stats stats(uint64_t id)
{
	struct ponte_flow_stats st;

	ponte_dp_sync(dp);
	memset(&st, 0, sizeof(st));
	ponte_dp_flow_stats(dp, id, &st);
	return st;
}

static uint32_t open_port(struct ponte_addr *local)
{
	uint32_t id = 0;

	ponte_addr_parse(local, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, local, 0, 0, &id) == 0 && local->port != 0,
	      "open a dataplane port on 127.0.0.1:%u", local->port);
	return id;
}

/*
 * One RTP packet from a peer to a dataplane port and what the receiver got. The send and
 * receive times bracket the dataplane's own clock reading for the packet.
 */
struct hop {
	uint64_t sent_ns, recv_ns;
	int len; /* plain length received, -1: nothing */
	uint16_t seq; /* as received */
	uint32_t ts, ssrc;
	bool has_marker;
	uint8_t got[2048];
};

static void hop(struct hop *h, const struct peer *from, const struct ponte_addr *to, uint8_t pt,
		uint16_t seq, uint32_t ts, uint32_t ssrc, const struct peer *rx,
		struct dp_srtp *rx_ctx)
{
	uint8_t pkt[256];
	size_t len = make_rtp(pkt, pt, seq, ts, ssrc, PAYLOAD);

	h->sent_ns = now_ns();
	peer_send(from, to, pkt, len);
	h->len = recv_plain(rx, rx_ctx, false, h->got, sizeof(h->got));
	h->recv_ns = now_ns();
	h->seq = h->len >= 12 ? rd16(h->got + 2) : 0;
	h->ts = h->len >= 12 ? rd32(h->got + 4) : 0;
	h->ssrc = h->len >= 12 ? rd32(h->got + 8) : 0;
	h->has_marker = h->len >= 12 && (h->got[1] & 0x80);
	if (h->len >= 12 && memcmp(h->got + 12, pkt + 12, PAYLOAD) != 0)
		h->len = -2; /* not the packet sent */
}

/*
 * The first packet of a new stream, received as b after a (the last one sent before it):
 * it must continue a, its timestamp advanced by the time between the two at hz, which the
 * dataplane read somewhere between each one's send and receive.
 */
static bool is_joined(const struct hop *a, const struct hop *b, uint32_t hz, const char *what)
{
	uint32_t lo = ticks(b->sent_ns - a->recv_ns, hz);
	uint32_t hi = ticks(b->recv_ns - a->sent_ns, hz) + 1;
	uint32_t adv = b->ts - a->ts;
	bool ok = a->len > 0 && b->len > 0 && b->ssrc == a->ssrc &&
		  b->seq == (uint16_t)(a->seq + 1) && b->has_marker && adv >= lo && adv <= hi;

	CHECK(ok,
	      "%s: joined, SSRC %#x, seq %u -> %u, marker %d, ts advanced %u within [%u, %u] "
	      "(%u Hz)",
	      what, b->ssrc, a->seq, b->seq, b->has_marker, adv, lo, hi, hz);
	return ok;
}

/* ---- the continuity state alone, with a made-up clock ---- */

static void test_apply(void)
{
	const uint64_t t0 = 5000 * MS;
	struct ponte_flow_output out;
	struct dp_rtp_cont c;
	uint8_t p[64], sr[128];
	uint32_t d = 1, b_ts, c_ts, a_ts;
	enum dp_cont_verdict v;
	size_t n;

	memset(&out, 0, sizeof(out));
	memset(&c, 0, sizeof(c));
	out.ssrc_any = ANY;
	out.nb_ssrc_maps = 1;
	out.ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1, .to = 0x2};

	make_rtp(p, 0, 7, 70, 0x1, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0x1, p, 8000, t0) == DP_CONT_NONE && rd16(p + 2) == 7 &&
		      rd32(p + 4) == 70 && !c.has_stream,
	      "apply: a stream a map names is no part of it");
	out.ssrc_any = 0;
	make_rtp(p, 0, 7, 70, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0) == DP_CONT_NONE && !c.has_stream,
	      "apply: nothing without ssrc_any");
	out.ssrc_any = ANY;
	CHECK(dp_rtp_cont_ts_delta(&c, 0xa, &d) && d == 0, "ts_delta: 0 before any stream");

	/* A first stream starting below 2^15 passes as it is. */
	make_rtp(p, 0, 32767, 70, 0xd, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xd, p, 8000, t0) == DP_CONT_SAME &&
		      rd16(p + 2) == 32767 && rd32(p + 4) == 70 && !(p[1] & 0x80),
	      "apply: a first stream from 32767 passes unchanged, no marker");
	memset(&c, 0, sizeof(c));

	/* A, next to both wraps: its sequence numbers go out 32768 lower (below 2^15 at first,
	 * RFC 3711 §3.3.1: rtp.h), its timestamps as they are. */
	make_rtp(p, 0, 65534, 0xffffff00u, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0) == DP_CONT_SAME &&
		      rd16(p + 2) == 32766 && rd32(p + 4) == 0xffffff00u && !(p[1] & 0x80),
	      "apply: the first stream, from 65534: seq 32766, ts unchanged, no marker (have "
	      "seq %u)",
	      rd16(p + 2));
	make_rtp(p, 0, 65535, 0xffffffa0u, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0 + 20 * MS) == DP_CONT_SAME &&
		      rd16(p + 2) == 32767 && rd32(p + 4) == 0xffffffa0u,
	      "apply: ... and its next packet likewise");
	make_rtp(p, 0, 0, 0xffffffa0u + 160, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0 + 40 * MS) == DP_CONT_SAME &&
		      rd16(p + 2) == 32768 && rd32(p + 4) == 0xffffffa0u + 160,
	      "apply: ... and its next, past its own wrap: seq 32768, no wrap out");

	/* B, 480 ms after A's last packet, 48 kHz: the timestamp wraps. */
	make_rtp(p, 111, 100, 5, 0xb, 0);
	v = dp_rtp_cont_apply(&c, &out, 0xb, p, 48000, t0 + 520 * MS);
	b_ts = 0xffffffa0u + 160 + 23040;
	CHECK(v == DP_CONT_SWITCH && rd16(p + 2) == 32769 && rd32(p + 4) == b_ts &&
		      (p[1] & 0x80) && (p[1] & 0x7f) == 111,
	      "apply: new SSRC B 480 ms later: switch, seq 32768+1, ts + 23040 at 48 kHz "
	      "(have seq %u ts %#x), marker, PT kept",
	      rd16(p + 2), rd32(p + 4));
	make_rtp(p, 111, 101, 5 + 960, 0xb, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xb, p, 48000, t0 + 540 * MS) == DP_CONT_SAME &&
		      rd16(p + 2) == 32770 && rd32(p + 4) == b_ts + 960 && !(p[1] & 0x80),
	      "apply: B's next packet: seq +1, ts + its own step, no marker");
	make_rtp(p, 111, 99, 5 - 960, 0xb, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xb, p, 48000, t0 + 550 * MS) == DP_CONT_SAME &&
		      rd16(p + 2) == 32768 && rd32(p + 4) == b_ts - 960,
	      "apply: a reordered packet of B is shifted the same way");
	make_rtp(p, 0, 1, 0xffffffa0u + 320, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0 + 560 * MS) == DP_CONT_STALE &&
		      rd16(p + 2) == 1 && rd32(p + 4) == 0xffffffa0u + 320,
	      "apply: a late packet of A: stale, left as it is");
	CHECK(!dp_rtp_cont_ts_delta(&c, 0xa, &d) && dp_rtp_cont_ts_delta(&c, 0xb, &d) &&
		      d == b_ts - 5,
	      "ts_delta: B's (%#x), none for the replaced A", d);

	/* C, clock unknown: 8 kHz, from B's newest packet (seq 32770 at t0 + 540 ms), not the
	 * reordered one. */
	make_rtp(p, 0, 3000, 1234, 0xc, 0);
	c_ts = b_ts + 960 + 2000;
	CHECK(dp_rtp_cont_apply(&c, &out, 0xc, p, 0, t0 + 790 * MS) == DP_CONT_SWITCH &&
		      rd16(p + 2) == 32771 && rd32(p + 4) == c_ts && (p[1] & 0x80),
	      "apply: C, clock unknown: seq 32771 after the newest sent, ts + 250 ms at 8 kHz "
	      "(have seq %u ts %#x)",
	      rd16(p + 2), rd32(p + 4));
	/* A is stale until a second after it was replaced (t0 + 520 ms). */
	make_rtp(p, 0, 1, 1, 0xa, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0 + 1519 * MS) == DP_CONT_STALE,
	      "apply: A still stale 999 ms after it was replaced");
	a_ts = c_ts + 6480;
	CHECK(dp_rtp_cont_apply(&c, &out, 0xa, p, 8000, t0 + 1600 * MS) == DP_CONT_SWITCH &&
		      rd16(p + 2) == 32772 && rd32(p + 4) == a_ts,
	      "apply: A back after its second: a new switch, seq 32772, ts + 810 ms at 8 kHz");
	make_rtp(p, 0, 500, 1, 0xb, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xb, p, 8000, t0 + 1780 * MS) == DP_CONT_STALE,
	      "apply: B replaced at t0 + 790 ms is stale at t0 + 1780 ms ...");
	make_rtp(p, 0, 3001, 1, 0xc, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xc, p, 8000, t0 + 1780 * MS) == DP_CONT_STALE,
	      "apply: ... and so is C, replaced at t0 + 1600 ms");
	make_rtp(p, 0, 500, 1, 0xb, 0);
	CHECK(dp_rtp_cont_apply(&c, &out, 0xb, p, 8000, t0 + 1800 * MS) == DP_CONT_SWITCH &&
		      rd16(p + 2) == 32773,
	      "apply: B at t0 + 1800 ms: a switch again");

	/* SR helper: only the named sender's SR moves. */
	n = make_sr(sr, 0xa, 1, 100, 1, 1);
	n += make_sr(sr + n, 0xb, 1, 200, 1, 1);
	n += make_sdes(sr + n, 0xb);
	dp_rtcp_shift_sr(sr, n, 0xb, 1000);
	CHECK(rd32(sr + 16) == 100 && rd32(sr + 28 + 16) == 1200 && rd32(sr + 28 + 20) == 1 &&
		      rd32(sr + 56 + 4) == 0xb,
	      "shift_sr: B's SR ts +1000, A's and the rest untouched");
}

/* ---- through the socket dataplane ---- */

/* Flow 1: the phone's RTP (latching, RTCP per leg), to the browser over SRTP as ANY. */
static void spec_phone(struct ponte_flow_spec *spec, uint32_t port, uint32_t out_port,
		       const struct ponte_addr *dst, const struct ponte_srtp_key *k)
{
	struct ponte_flow_output *o;

	ponte_flow_spec_init(spec, 1, port);
	spec->is_latching = true;
	spec->rtcp = PONTE_RTCP_TERMINATE;
	spec->report_ssrc = 0xfeed0001;
	spec->clock_khz[0] = 8;
	o = ponte_flow_add_output(spec, out_port, dst);
	o->srtp = *k;
	o->ssrc_any = ANY;
	o->pt_map[13] = PONTE_PT_DROP;
}

static void test_switch(void)
{
	struct peer phone, phone_rtcp, browser, browser2;
	struct ponte_addr a_local, b_local, q_local;
	struct ponte_srtp_key k, k2;
	struct dp_srtp *rx, *rx_q, *rx2;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_flow_stats st;
	struct hop a[6], b[8], h;
	uint8_t pkt[256], want[64];
	const uint64_t ntp = 0xe1f2a3b4c5d6e7f8ull;
	unsigned seed = (unsigned)now_ns(), nb_ok;
	uint16_t b_seq;
	uint32_t b_ts, delta;
	size_t len;
	int n;

	peer_open(&phone);
	peer_open(&phone_rtcp);
	peer_open(&browser);
	peer_open(&browser2);
	uint32_t pa = open_port(&a_local);
	uint32_t pb = open_port(&b_local);
	uint32_t pq = open_port(&q_local);

	key_fill(&k, PONTE_SRTP_AES128_CM_SHA1_80, 7);
	key_fill(&k2, PONTE_SRTP_AES128_CM_SHA1_80, 8);
	eng->create(&k, DP_SRTP_UNPROTECT, &rx);
	eng->create(&k, DP_SRTP_UNPROTECT, &rx_q);
	eng->create(&k2, DP_SRTP_UNPROTECT, &rx2);
	spec_phone(&spec, pa, pb, &browser.addr, &k);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "switch: add the phone's flow, ssrc_any %#x", ANY);
	/* Flow 2: the phone's RTCP from its other port, counted as flow 1 (rtp_flow). */
	ponte_flow_spec_init(&spec, 2, pq);
	spec.src = phone_rtcp.addr;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.rtp_flow = 1;
	o = ponte_flow_add_output(&spec, pb, &browser.addr);
	o->srtp = k;
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = ANY;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "switch: add the phone's RTCP-only flow");
	ponte_dp_sync(dp);

	/* Stream A: passes with its own numbers. */
	nb_ok = 0;
	for (unsigned i = 0; i < 5; i++) {
		hop(&a[i], &phone, &a_local, 0, (uint16_t)(1000 + i), 50000 + TS_STEP * i, 0xa1,
		    &browser, rx);
		nb_ok += a[i].len == 12 + PAYLOAD && a[i].ssrc == ANY && a[i].seq == 1000 + i &&
			 a[i].ts == 50000 + TS_STEP * i && !a[i].has_marker;
		sleep_ms(20);
	}
	CHECK(nb_ok == 5, "switch: stream A reaches the browser as %#x with its own seq and ts, "
			  "no marker (%u of 5)",
	      ANY, nb_ok);

	/* Stream B, 300 ms later, from arbitrary numbers. */
	srand(seed);
	b_seq = (uint16_t)rand();
	b_ts = (uint32_t)rand() * 2654435761u;
	printf("# seed %u: B starts at seq %u ts %u\n", seed, b_seq, b_ts);
	sleep_ms(300);
	for (unsigned i = 0; i < 5; i++)
		hop(&b[i], &phone, &a_local, 0, (uint16_t)(b_seq + i), b_ts + TS_STEP * i, 0xb2,
		    &browser, rx);
	is_joined(&a[4], &b[0], 8000, "switch: B's first packet");
	delta = b[0].ts - b_ts;
	nb_ok = 0;
	for (unsigned i = 1; i < 5; i++)
		nb_ok += b[i].len == 12 + PAYLOAD && b[i].ssrc == ANY &&
			 b[i].seq == (uint16_t)(b[0].seq + i) && b[i].ts == b[0].ts + TS_STEP * i &&
			 !b[i].has_marker;
	CHECK(nb_ok == 4, "switch: B's next 4 packets follow, seq +1 and ts +%u each, no marker",
	      TS_STEP);
	st = stats(1);
	CHECK(st.ssrc_switches == 1 && st.drops[PONTE_DROP_STALE] == 0,
	      "switch: ssrc_switches %lu", (unsigned long)st.ssrc_switches);

	/* A late packet of A, and another after a modify: both well within A's second. */
	len = make_rtp(pkt, 0, 1005, 50000 + TS_STEP * 5, 0xa1, PAYLOAD);
	peer_send(&phone, &a_local, pkt, len);
	CHECK(peer_quiet(&browser), "switch: a late packet of A is not sent");
	st = stats(1);
	CHECK(st.drops[PONTE_DROP_STALE] == 1 && st.ssrc_switches == 1,
	      "switch: ... counted as stale (%lu)", (unsigned long)st.drops[PONTE_DROP_STALE]);

	/* A modify that keeps the output's destination keeps the stream. */
	spec_phone(&spec, pa, pb, &browser.addr, &k);
	spec.outputs[0].pt_map[8] = PONTE_PT_DROP;
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "switch: modify the phone's flow, same dst");
	peer_send(&phone, &a_local, pkt, len);
	CHECK(peer_quiet(&browser), "switch: after it, A is still stale");
	hop(&b[5], &phone, &a_local, 0, (uint16_t)(b_seq + 5), b_ts + TS_STEP * 5, 0xb2, &browser,
	    rx);
	CHECK(b[5].len == 12 + PAYLOAD && b[5].seq == (uint16_t)(b[4].seq + 1) &&
		      b[5].ts == b[4].ts + TS_STEP && !b[5].has_marker,
	      "switch: ... and B goes on, seq %u -> %u, ts +%u", b[4].seq, b[5].seq,
	      b[5].ts - b[4].ts);
	st = stats(1);
	CHECK(st.drops[PONTE_DROP_STALE] == 2 && st.ssrc_switches == 1,
	      "switch: stale %lu, switches %lu after the modify",
	      (unsigned long)st.drops[PONTE_DROP_STALE], (unsigned long)st.ssrc_switches);

	/* A payload type the output drops is no new stream. */
	len = make_rtp(pkt, 13, 1, 1, 0xc3, 20);
	peer_send(&phone, &a_local, pkt, len);
	CHECK(peer_quiet(&browser), "switch: a dropped payload type from SSRC C is not sent");
	st = stats(1);
	CHECK(st.drops[PONTE_DROP_PT] == 1 && st.ssrc_switches == 1,
	      "switch: ... counted as a PT drop (%lu), and no switch",
	      (unsigned long)st.drops[PONTE_DROP_PT]);

	/* B's SR, in the RTP flow: from ANY, its timestamp shifted like B's RTP, the counts of
	 * the 11 packets the browser got under ANY. */
	len = make_sr(pkt, 0xb2, ntp, b_ts + 4000, 999, 999);
	peer_send(&phone, &a_local, pkt, len);
	make_sr(want, ANY, ntp, b_ts + 4000 + delta, 11, 11 * PAYLOAD);
	n = recv_plain(&browser, rx, true, pkt, sizeof(pkt));
	CHECK(n == 28 && memcmp(pkt, want, 28) == 0,
	      "switch: B's SR reaches the browser from %#x, ts shifted by B's delta %#x, 11 "
	      "packets",
	      ANY, delta);
	if (n != 28 || memcmp(pkt, want, 28) != 0) {
		dump("have", pkt, n);
		dump("want", want, 28);
	}
	/* B's SR through the RTCP-only flow: the same. */
	len = make_sr(pkt, 0xb2, ntp + 1, b_ts + 8000, 999, 999);
	peer_send(&phone_rtcp, &q_local, pkt, len);
	make_sr(want, ANY, ntp + 1, b_ts + 8000 + delta, 11, 11 * PAYLOAD);
	n = recv_plain(&browser, rx_q, true, pkt, sizeof(pkt));
	CHECK(n == 28 && memcmp(pkt, want, 28) == 0,
	      "switch: B's SR through the RTCP-only flow: shifted the same, flow 1's counts");
	if (n != 28 || memcmp(pkt, want, 28) != 0) {
		dump("have", pkt, n);
		dump("want", want, 28);
	}
	/* A's SR: a timeline the browser no longer sees. */
	len = make_sr(pkt, 0xa1, ntp + 2, 50000, 5, 5);
	len += make_sdes(pkt + len, 0xa1);
	peer_send(&phone_rtcp, &q_local, pkt, len);
	make_sdes(want, ANY);
	n = recv_plain(&browser, rx_q, true, pkt, sizeof(pkt));
	CHECK(n == 16 && memcmp(pkt, want, 16) == 0,
	      "switch: A's SR + SDES: only the SDES (as %#x) reaches the browser", ANY);
	len = make_sr(pkt, 0xa1, ntp + 3, 50000, 5, 5);
	peer_send(&phone, &a_local, pkt, len);
	CHECK(peer_quiet(&browser), "switch: A's SR alone in the RTP flow: nothing");
	CHECK(stats(1).srs_out == 1 && stats(2).srs_out == 1,
	      "switch: one SR made in each flow, none for A");

	/* A back after its second: a new switch (a call transferred back). */
	while (now_ns() < b[0].recv_ns + DP_CONT_STALE_NS + 50 * MS)
		sleep_ms(50);
	hop(&a[5], &phone, &a_local, 0, 1006, 50000 + TS_STEP * 6, 0xa1, &browser, rx);
	is_joined(&b[5], &a[5], 8000, "switch: A back after a second");
	CHECK(stats(1).ssrc_switches == 2, "switch: ssrc_switches 2");

	/* A modify to another destination under another key: a new receiver, a new stream from
	 * scratch. (Under the same key it is the same receiver moved: test_srtp_move.c.) */
	spec_phone(&spec, pa, pb, &browser2.addr, &k2);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0,
	      "switch: modify the output to browser2, with its own key");
	hop(&h, &phone, &a_local, 0, 1007, 50000 + TS_STEP * 7, 0xa1, &browser2, rx2);
	CHECK(h.len == 12 + PAYLOAD && h.ssrc == ANY && h.seq == 1007 &&
		      h.ts == 50000 + TS_STEP * 7 && !h.has_marker,
	      "switch: browser2 gets A with its own seq %u and ts %u (have %u, %u)", 1007,
	      50000 + TS_STEP * 7, h.seq, h.ts);
	CHECK(peer_quiet(&browser), "switch: the first browser gets nothing more");

	ponte_dp_flow_delete(dp, 2);
	ponte_dp_flow_delete(dp, 1);
	ponte_dp_port_close(dp, pa);
	ponte_dp_port_close(dp, pb);
	ponte_dp_port_close(dp, pq);
	eng->destroy(rx);
	eng->destroy(rx_q);
	eng->destroy(rx2);
	close(phone.fd);
	close(phone_rtcp.fd);
	close(browser.fd);
	close(browser2.fd);
}

/* RTCP forwarded, not terminated: the current stream's SRs get its delta too. */
static void test_forward(void)
{
	struct peer phone, browser;
	struct ponte_addr f_local, g_local;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct hop a, b;
	uint8_t pkt[256], want[64];
	size_t len;
	int n;

	peer_open(&phone);
	peer_open(&browser);
	uint32_t pf = open_port(&f_local);
	uint32_t pg = open_port(&g_local);

	ponte_flow_spec_init(&spec, 3, pf);
	spec.src = phone.addr;
	spec.clock_khz[9] = 16; /* any rate but 8 kHz: the clock must come from here */
	o = ponte_flow_add_output(&spec, pg, &browser.addr);
	o->ssrc_any = ANY;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "forward: add a flow forwarding RTCP");
	ponte_dp_sync(dp);
	hop(&a, &phone, &f_local, 9, 7, 700, 0xa1, &browser, NULL);
	sleep_ms(100);
	hop(&b, &phone, &f_local, 9, 40000, 123456789, 0xb2, &browser, NULL);
	is_joined(&a, &b, 16000, "forward: B at the payload type's 16 kHz");
	len = make_sr(pkt, 0xb2, 42, 123456789 + 320, 3, 3);
	peer_send(&phone, &f_local, pkt, len);
	make_sr(want, ANY, 42, b.ts + 320, 3, 3);
	n = recv_plain(&browser, NULL, true, pkt, sizeof(pkt));
	CHECK(n == 28 && memcmp(pkt, want, 28) == 0,
	      "forward: B's SR is forwarded from %#x with B's timestamp delta, counts as sent",
	      ANY);
	if (n != 28 || memcmp(pkt, want, 28) != 0) {
		dump("have", pkt, n);
		dump("want", want, 28);
	}
	ponte_dp_flow_delete(dp, 3);
	ponte_dp_port_close(dp, pf);
	ponte_dp_port_close(dp, pg);
	close(phone.fd);
	close(browser.fd);
}

/* ---- latch_epoch ---- */

static void spec_latching(struct ponte_flow_spec *spec, uint32_t port, uint32_t out_port,
			  const struct ponte_addr *dst, uint32_t epoch)
{
	struct ponte_flow_output *o;

	ponte_flow_spec_init(spec, 10, port);
	spec->is_latching = true;
	spec->latch_epoch = epoch;
	spec->clock_khz[0] = 8;
	o = ponte_flow_add_output(spec, out_port, dst);
	o->ssrc_any = ANY;
}

static void test_relatch(void)
{
	struct peer phone1, phone2, sdp_addr, browser;
	struct ponte_addr l_local, m_local;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct hop h1, h2;
	uint8_t pkt[256], got[2048];
	size_t len;
	int n;

	peer_open(&phone1);
	peer_open(&phone2);
	peer_open(&sdp_addr);
	peer_open(&browser);
	uint32_t pl = open_port(&l_local);
	uint32_t pm = open_port(&m_local);

	/* Flow 10: whatever phone sends to port L, to the browser. Flow 11: the browser's media
	 * from port M back out of L, to where flow 10 latched (else the SDP address). */
	spec_latching(&spec, pl, pm, &browser.addr, 1);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "relatch: add a latching flow, epoch 1");
	ponte_flow_spec_init(&spec, 11, pm);
	spec.src = browser.addr;
	o = ponte_flow_add_output(&spec, pl, &sdp_addr.addr);
	o->dst_latch_flow = 10;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "relatch: add the way back, following the latch");
	ponte_dp_sync(dp);

	hop(&h1, &phone1, &l_local, 0, 100, 1000, 0x1111, &browser, NULL);
	CHECK(h1.len == 12 + PAYLOAD && h1.ssrc == ANY,
	      "relatch: phone 1 latched, reaches the browser");
	len = make_rtp(pkt, 0, 1, 1, 0x2222, 20);
	peer_send(&browser, &m_local, pkt, len);
	n = recv_plain(&phone1, NULL, false, got, sizeof(got));
	CHECK(n == (int)len, "relatch: the way back goes to phone 1");
	len = make_rtp(pkt, 0, 5000, 5000, 0x3333, PAYLOAD);
	peer_send(&phone2, &l_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(10).drops[PONTE_DROP_SOURCE] == 1,
	      "relatch: phone 2 is dropped (source)");

	/* The same epoch: the latch stays. */
	spec_latching(&spec, pl, pm, &browser.addr, 1);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "relatch: modify, epoch still 1");
	peer_send(&phone2, &l_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(10).drops[PONTE_DROP_SOURCE] == 2,
	      "relatch: phone 2 still dropped");
	hop(&h1, &phone1, &l_local, 0, 101, 1160, 0x1111, &browser, NULL);
	CHECK(h1.len == 12 + PAYLOAD && h1.seq == 101 && !h1.has_marker,
	      "relatch: phone 1 still flows, unchanged");

	/* A new epoch: the next source is latched. Until it comes, the way back goes to the
	 * output's own dst. */
	spec_latching(&spec, pl, pm, &browser.addr, 2);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "relatch: modify, epoch 2");
	ponte_dp_sync(dp);
	len = make_rtp(pkt, 0, 2, 2, 0x2222, 20);
	peer_send(&browser, &m_local, pkt, len);
	n = recv_plain(&sdp_addr, NULL, false, got, sizeof(got));
	CHECK(n == (int)len && peer_quiet(&phone1),
	      "relatch: nothing latched: the way back goes to the SDP address, not phone 1");
	sleep_ms(40);
	hop(&h2, &phone2, &l_local, 0, 5001, 5160, 0x3333, &browser, NULL);
	CHECK(h2.len == 12 + PAYLOAD, "relatch: phone 2 latched, reaches the browser");
	is_joined(&h1, &h2, 8000, "relatch: phone 2's stream continues phone 1's (a transfer)");
	len = make_rtp(pkt, 0, 3, 3, 0x2222, 20);
	peer_send(&browser, &m_local, pkt, len);
	n = recv_plain(&phone2, NULL, false, got, sizeof(got));
	CHECK(n == (int)len, "relatch: the way back now goes to phone 2");
	len = make_rtp(pkt, 0, 102, 1320, 0x1111, PAYLOAD);
	peer_send(&phone1, &l_local, pkt, len);
	CHECK(peer_quiet(&browser), "relatch: phone 1 is dropped now");
	struct ponte_flow_stats st = stats(10);

	CHECK(st.drops[PONTE_DROP_SOURCE] == 3 && st.drops[PONTE_DROP_STALE] == 0 &&
		      st.ssrc_switches == 1,
	      "relatch: counted as a source drop (%lu), not stale; 1 switch",
	      (unsigned long)st.drops[PONTE_DROP_SOURCE]);

	ponte_dp_flow_delete(dp, 11);
	ponte_dp_flow_delete(dp, 10);
	ponte_dp_port_close(dp, pl);
	ponte_dp_port_close(dp, pm);
	close(phone1.fd);
	close(phone2.fd);
	close(sdp_addr.fd);
	close(browser.fd);
}

/* ---- the stale-latch guard (DP_LATCH_STALE_NS, pipeline.c input_one()) ---- */

/* One datagram within ms, or -1. */
static int recv_within(const struct peer *p, int ms, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return (int)recv(p->fd, buf, cap, 0);
}

/* Does a packet sent by the browser on the way back (flow 11) reach to, and nobody else of
 * others[0..nb)? */
static bool way_back_to(const struct ponte_addr *m_local, const struct peer *browser,
			const struct peer *to, const struct peer *const *others, unsigned nb)
{
	static uint16_t seq = 7000;
	uint8_t pkt[64], got[2048];
	size_t len = make_rtp(pkt, 0, seq, seq * 20u, 0x2222, 20);
	bool ok;

	seq++;
	peer_send(browser, m_local, pkt, len);
	ok = recv_plain(to, NULL, false, got, sizeof(got)) == (int)len && memcmp(got, pkt, len) == 0;
	for (unsigned i = 0; i < nb; i++)
		ok = ok && peer_quiet(others[i]);
	return ok;
}

/* Flow 10 latching (epoch), from port L to the browser; flow 11 the browser's media back out
 * of L to where flow 10 latched, else to sdp_addr, as control/bridge.c builds a call. */
static void add_call(uint32_t pl, uint32_t pm, const struct peer *browser,
		     const struct peer *sdp_addr, uint32_t epoch, const char *what)
{
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;

	spec_latching(&spec, pl, pm, &browser->addr, epoch);
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "%s: add a latching flow, epoch %u", what, epoch);
	ponte_flow_spec_init(&spec, 11, pm);
	spec.src = browser->addr;
	o = ponte_flow_add_output(&spec, pl, &sdp_addr->addr);
	o->dst_latch_flow = 10;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "%s: add the way back, following the latch",
	      what);
	ponte_dp_sync(dp);
}

static void del_call(uint32_t pl, uint32_t pm)
{
	ponte_dp_flow_delete(dp, 11);
	ponte_dp_flow_delete(dp, 10);
	ponte_dp_port_close(dp, pl);
	ponte_dp_port_close(dp, pm);
}

/* The re-INVITE moved the media: flow 10 modified to a new epoch. */
static void move(uint32_t pl, uint32_t pm, const struct peer *browser, uint32_t epoch,
		 const char *what)
{
	struct ponte_flow_spec spec;

	spec_latching(&spec, pl, pm, &browser->addr, epoch);
	CHECK(ponte_dp_flow_modify(dp, &spec) == 0, "%s: modify, epoch %u (the media moved)", what,
	      epoch);
	ponte_dp_sync(dp);
}

/*
 * The phone moves from old_src to new_src. Packets from old_src still on their way (an echo of
 * what was sent to it just before the move) must not latch the flow back there: the new source
 * latches it, and the way back goes to it.
 */
static void test_stale_guard(void)
{
	struct peer old_src, new_src, sdp_addr, browser;
	struct ponte_addr l_local, m_local;
	struct ponte_flow_stats st;
	struct hop h;
	uint8_t pkt[256];
	uint64_t t_mod, t0, t1;
	size_t len;
	bool is_quiet;

	peer_open(&old_src);
	peer_open(&new_src);
	peer_open(&sdp_addr);
	peer_open(&browser);
	uint32_t pl = open_port(&l_local);
	uint32_t pm = open_port(&m_local);
	const struct peer *not_old[] = {&old_src}, *not_sdp[] = {&sdp_addr, &old_src};

	add_call(pl, pm, &browser, &sdp_addr, 1, "stale");
	hop(&h, &old_src, &l_local, 0, 100, 1000, 0x1111, &browser, NULL);
	CHECK(h.len == 12 + PAYLOAD, "stale: the old address latched in epoch 1");
	CHECK(way_back_to(&m_local, &browser, &old_src, NULL, 0),
	      "stale: the way back goes to the old address");

	move(pl, pm, &browser, 2, "stale");
	t_mod = now_ns();
	/* Longer than the guard after the modify: it counts from when the old address is first
	 * heard in the new epoch, not from the modify (a stale packet may come any time). */
	sleep_ms((unsigned)(DP_LATCH_STALE_NS / MS) + 100);
	t0 = now_ns();
	for (unsigned i = 0; i < 3; i++) {
		len = make_rtp(pkt, 0, (uint16_t)(101 + i), 1160 + TS_STEP * i, 0x1111, PAYLOAD);
		peer_send(&old_src, &l_local, pkt, len);
		sleep_ms(20);
	}
	is_quiet = peer_quiet(&browser);
	st = stats(10);
	t1 = now_ns();
	CHECK(is_quiet && st.drops[PONTE_DROP_SOURCE] == 3 && st.rtp_in == 1 &&
		      t1 - t0 < DP_LATCH_STALE_NS,
	      "stale: 3 packets from the old address, all handled within %llu ms of the first "
	      "(guard %llu ms, counted from it, not from the modify %llu ms before): dropped as "
	      "source (%lu), none reached the browser",
	      (unsigned long long)((t1 - t0) / MS), DP_LATCH_STALE_NS / MS,
	      (unsigned long long)((t0 - t_mod) / MS), (unsigned long)st.drops[PONTE_DROP_SOURCE]);
	CHECK(way_back_to(&m_local, &browser, &sdp_addr, not_old, 1),
	      "stale: not latched to the old address: the way back goes to the SDP address");

	hop(&h, &new_src, &l_local, 0, 5000, 9000, 0x3333, &browser, NULL);
	CHECK(h.len == 12 + PAYLOAD && stats(10).drops[PONTE_DROP_SOURCE] == 3,
	      "stale: the new address's first packet latches the flow, reaches the browser");
	CHECK(way_back_to(&m_local, &browser, &new_src, not_sdp, 2),
	      "stale: the way back goes to the new address, nothing to the SDP or old one");

	/* Past the old address's guard: it is now just another source. */
	while (now_ns() < t0 + DP_LATCH_STALE_NS + 50 * MS)
		sleep_ms(20);
	len = make_rtp(pkt, 0, 104, 1160 + TS_STEP * 3, 0x1111, PAYLOAD);
	peer_send(&old_src, &l_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(10).drops[PONTE_DROP_SOURCE] == 4,
	      "stale: the old address after its guard: dropped, the flow stays on the new one");
	CHECK(way_back_to(&m_local, &browser, &new_src, not_sdp, 2),
	      "stale: ... and the way back still goes to the new address");

	del_call(pl, pm);
	close(old_src.fd);
	close(new_src.fd);
	close(sdp_addr.fd);
	close(browser.fd);
}

/*
 * Two moves in a row (a re-INVITE, then another, or a transfer) before the new source is heard:
 * the address latched before the first is still the one left, its packets still on their way.
 */
static void test_stale_two_moves(void)
{
	struct peer old_src, new_src, sdp_addr, browser;
	struct ponte_addr l_local, m_local;
	struct hop h;
	uint8_t pkt[256];
	size_t len;

	peer_open(&old_src);
	peer_open(&new_src);
	peer_open(&sdp_addr);
	peer_open(&browser);
	uint32_t pl = open_port(&l_local);
	uint32_t pm = open_port(&m_local);

	add_call(pl, pm, &browser, &sdp_addr, 1, "two moves");
	hop(&h, &old_src, &l_local, 0, 100, 1000, 0x1111, &browser, NULL);
	CHECK(h.len == 12 + PAYLOAD, "two moves: the old address latched in epoch 1");
	move(pl, pm, &browser, 2, "two moves");
	move(pl, pm, &browser, 3, "two moves");
	len = make_rtp(pkt, 0, 101, 1160, 0x1111, PAYLOAD);
	peer_send(&old_src, &l_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(10).drops[PONTE_DROP_SOURCE] == 1,
	      "two moves before anything was heard: the old address is still guarded");
	/* Its guard runs now; one more move must not end it. */
	move(pl, pm, &browser, 4, "two moves");
	len = make_rtp(pkt, 0, 102, 1320, 0x1111, PAYLOAD);
	peer_send(&old_src, &l_local, pkt, len);
	CHECK(peer_quiet(&browser) && stats(10).drops[PONTE_DROP_SOURCE] == 2,
	      "two moves: a third within its guard: the old address still guarded");
	hop(&h, &new_src, &l_local, 0, 5000, 9000, 0x3333, &browser, NULL);
	CHECK(h.len == 12 + PAYLOAD, "two moves: the new address latches at once");

	del_call(pl, pm);
	close(old_src.fd);
	close(new_src.fd);
	close(sdp_addr.fd);
	close(browser.fd);
}

/*
 * A phone behind a NAT: its SDP address changed but it still sends from the same source. Only
 * that source is heard: the flow latches to it once the guard has passed, and media flows again.
 * The price: the guard's 0.5 s of the phone's audio.
 */
#define NAT_MAX 60
static void test_stale_nat(void)
{
	struct peer phone, sdp_addr, browser;
	struct ponte_addr l_local, m_local;
	struct ponte_flow_stats st;
	struct hop h;
	uint8_t pkt[256], got[2048];
	uint64_t sent[NAT_MAX], seen[NAT_MAX], t_heard = 0;
	unsigned nb = 0, nb_got = 0, nb_late = 0, nb_late_got = 0, first = NAT_MAX;
	size_t len;
	int n;

	peer_open(&phone);
	peer_open(&sdp_addr);
	peer_open(&browser);
	uint32_t pl = open_port(&l_local);
	uint32_t pm = open_port(&m_local);
	const struct peer *not_sdp[] = {&sdp_addr};

	add_call(pl, pm, &browser, &sdp_addr, 1, "nat");
	hop(&h, &phone, &l_local, 0, 199, 1000, 0x1111, &browser, NULL);
	CHECK(h.len == 12 + PAYLOAD, "nat: the phone latched in epoch 1");
	move(pl, pm, &browser, 2, "nat");

	/* 20 ms packets from the same source, for 0.9 s. Packet i carries seq 200 + i, which its
	 * first payload byte repeats (make_rtp()). */
	memset(seen, 0, sizeof(seen));
	while (nb < NAT_MAX && (nb == 0 || now_ns() < sent[0] + 900 * MS)) {
		len = make_rtp(pkt, 0, (uint16_t)(200 + nb), 1160 + TS_STEP * nb, 0x1111, PAYLOAD);
		sent[nb] = now_ns();
		peer_send(&phone, &l_local, pkt, len);
		nb++;
		if (nb == 1) {
			/* The dataplane first heard it by now: its guard ends by t_heard + 0.5 s. */
			stats(10);
			t_heard = now_ns();
		}
		while ((n = recv_within(&browser, nb == NAT_MAX ? QUIET_MS : 0, got, sizeof(got))) >=
		       13) {
			unsigned k = (uint8_t)(got[12] - 200);

			if (k < nb && seen[k] == 0)
				seen[k] = now_ns();
		}
		sleep_ms(20);
	}
	while ((n = recv_within(&browser, QUIET_MS, got, sizeof(got))) >= 13) {
		unsigned k = (uint8_t)(got[12] - 200);

		if (k < nb && seen[k] == 0)
			seen[k] = now_ns();
	}
	for (unsigned i = 0; i < nb; i++) {
		nb_got += seen[i] != 0;
		if (seen[i] != 0 && first == NAT_MAX)
			first = i;
		if (sent[i] >= t_heard + DP_LATCH_STALE_NS) {
			nb_late++;
			nb_late_got += seen[i] != 0;
		}
	}
	st = stats(10);
	CHECK(first < NAT_MAX && seen[first] >= sent[0] + DP_LATCH_STALE_NS,
	      "nat: nothing from the same source passes within the guard: the first packet to "
	      "pass (#%u) reached the browser %lld ms after the first was sent (>= %llu)",
	      first, first < NAT_MAX ? (long long)(seen[first] - sent[0]) / (long long)MS : -1ll,
	      DP_LATCH_STALE_NS / MS);
	CHECK(nb_late > 5 && nb_late_got == nb_late,
	      "nat: after the guard the flow latches to the same source again: all %u packets "
	      "sent after it passed (%u)",
	      nb_late, nb_late_got);
	CHECK(first < NAT_MAX && nb_got == nb - first && st.drops[PONTE_DROP_SOURCE] == first &&
		      st.rtp_in == 1 + nb_got,
	      "nat: %u of %u packets lost to the guard (%u ms of the phone's audio at 20 ms a "
	      "packet, the 0.5 s price of a NAT that keeps the source), counted as source drops "
	      "(%lu), then none",
	      first < nb ? first : nb, nb, (first < nb ? first : nb) * 20, (unsigned long)st.drops[PONTE_DROP_SOURCE]);
	CHECK(way_back_to(&m_local, &browser, &phone, not_sdp, 1),
	      "nat: the way back goes to the phone's source again, not its new SDP address");

	del_call(pl, pm);
	close(phone.fd);
	close(sdp_addr.fd);
	close(browser.fd);
}

/*
 * The guard applies only to a source the flow left. A first latch (no address before, whatever
 * the epoch) takes the very first packet; so does a new source after a move before anything
 * was latched.
 */
static void test_first_latch(void)
{
	struct peer phone, phone2, sdp_addr, browser;
	struct ponte_addr l_local, m_local;
	struct ponte_flow_stats st;
	struct hop h;

	peer_open(&phone);
	peer_open(&phone2);
	peer_open(&sdp_addr);
	peer_open(&browser);
	uint32_t pl = open_port(&l_local);
	uint32_t pm = open_port(&m_local);
	const struct peer *not_sdp[] = {&sdp_addr};

	add_call(pl, pm, &browser, &sdp_addr, 5, "first");
	hop(&h, &phone, &l_local, 0, 300, 3000, 0x1111, &browser, NULL);
	st = stats(10);
	CHECK(h.len == 12 + PAYLOAD && st.rtp_in == 1 && st.drops[PONTE_DROP_SOURCE] == 0,
	      "first: the very first packet latches and reaches the browser in %llu ms, no drop",
	      (unsigned long long)((h.recv_ns - h.sent_ns) / MS));
	CHECK(way_back_to(&m_local, &browser, &phone, not_sdp, 1),
	      "first: the way back goes to it at once");
	del_call(pl, pm);

	/* A move before anything was latched: nothing left, nothing guarded. */
	pl = open_port(&l_local);
	pm = open_port(&m_local);
	add_call(pl, pm, &browser, &sdp_addr, 1, "first");
	move(pl, pm, &browser, 2, "first");
	hop(&h, &phone2, &l_local, 0, 400, 4000, 0x4444, &browser, NULL);
	st = stats(10);
	CHECK(h.len == 12 + PAYLOAD && st.rtp_in == 1 && st.drops[PONTE_DROP_SOURCE] == 0,
	      "first: moved before any packet: the first packet latches at once, no drop");
	del_call(pl, pm);
	close(phone.fd);
	close(phone2.fd);
	close(sdp_addr.fd);
	close(browser.fd);
}

int main(void)
{
	struct ponte_dp_config cfg = {.max_flows = 64, .max_ports = 16};

	test_apply();
	CHECK(ponte_dp_create(&cfg, &dp) == 0, "create the socket dataplane");
	eng = dp_srtp_engine_default();
	test_switch();
	test_forward();
	test_relatch();
	test_stale_guard();
	test_stale_two_moves();
	test_stale_nat();
	test_first_latch();
	ponte_dp_destroy(dp);
	return tap_done();
}
