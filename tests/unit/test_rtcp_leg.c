/* SPDX-License-Identifier: MIT */
/*
 * RTCP per leg (spec.rtcp = PONTE_RTCP_TERMINATE) through the socket dataplane's public
 * interface, with real UDP sockets on 127.0.0.1:
 *  - the gateway's own receiver reports reach the sender through the REPORTS output, about
 *    once a second, with RFC 3550 loss, extended highest sequence number, CNAME, and no SSRC
 *    rewrite;
 *  - a sender's SR becomes, on each output taking RTCP, an SR from the translated SSRC with
 *    the NTP time kept, the RTP timestamp shifted, and the counts of what that receiver got;
 *    the rest of the compound follows, translated; RR report blocks go nowhere;
 *  - the same with SRTP on every side (each report authenticates with its output's key), and
 *    an injected packet goes through a REPORTS-only output;
 *  - a SIP phone's RTCP-only flow (rtp_flow) takes its counts from the RTP flow, and its SR
 *    gives the RTP flow's next report its LSR and DLSR.
 *
 * Nothing here asserts timing tighter than causality: a report is looked for only once the
 * flow's reports_out says one was sent, and DLSR is bounded by clock readings taken around
 * the events it measures.
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

#include "srtp.h"
#include "tap.h"

#define MS 1000000ull	     /* nanoseconds */
#define RECV_MS 2000	     /* how long a packet that must come may take */
#define QUIET_MS 200	     /* how long to listen for a packet that must not come */
#define SPACING_NS (25 * MS) /* between two RTP packets */
#define TS_STEP 200	     /* RTP timestamp step: 25 ms at 8 kHz */
#define PAYLOAD 160
#define SDES_CNAME "sender" /* the CNAME the senders' own SDES carry */

static struct ponte_dp *dp;
static const struct dp_srtp_engine *eng;

/* A plain UDP socket on 127.0.0.1 standing for a phone or a browser. */
struct peer {
	int fd;
	struct ponte_addr addr;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000ull),
			      .tv_nsec = (long)(t_ns % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

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

/* Receive one datagram within timeout_ms: its length, or -1. *from_port: the sender's port. */
static int peer_recv(const struct peer *p, uint8_t *buf, size_t cap, uint16_t *from_port,
		     int timeout_ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	n = recvfrom(p->fd, buf, cap, 0, (struct sockaddr *)&sa, &len);
	if (from_port != NULL)
		*from_port = ntohs(sa.sin_port);
	return (int)n;
}

/* Receive one datagram and, with ctx, unprotect it as SRTP or SRTCP: the plain length, or -1
 * when nothing came or it did not authenticate. */
static int recv_plain(const struct peer *p, struct dp_srtp *ctx, bool is_rtcp, uint8_t *buf,
		      size_t cap, uint16_t *from_port)
{
	int n = peer_recv(p, buf, cap, from_port, RECV_MS);
	size_t len;

	if (n < 0 || ctx == NULL)
		return n;
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

/* RFC 3550 §6.4.2: an RR from ssrc with one report block about block_ssrc. */
static size_t make_rr(uint8_t *p, uint32_t ssrc, uint32_t block_ssrc)
{
	memset(p, 0, 32);
	p[0] = 0x81;
	p[1] = 201;
	p[3] = 7;
	wr32(p + 4, ssrc);
	wr32(p + 8, block_ssrc);
	wr32(p + 16, 0x1234); /* extended highest sequence number */
	return 32;
}

/* RFC 3550 §6.5: one chunk, CNAME SDES_CNAME, null-terminated and padded: 20 bytes. */
static size_t make_sdes(uint8_t *p, uint32_t ssrc)
{
	memset(p, 0, 20);
	p[0] = 0x81;
	p[1] = 202;
	p[3] = 4;
	wr32(p + 4, ssrc);
	p[8] = 1;
	p[9] = (uint8_t)strlen(SDES_CNAME);
	memcpy(p + 10, SDES_CNAME, strlen(SDES_CNAME));
	return 20;
}

/* RFC 4585 §6.3.1: a PLI. */
static size_t make_pli(uint8_t *p, uint32_t sender, uint32_t media)
{
	p[0] = 0x81;
	p[1] = 206;
	p[2] = 0;
	p[3] = 2;
	wr32(p + 4, sender);
	wr32(p + 8, media);
	return 12;
}

/* SR + SDES + PLI, as a sender sends them. */
static size_t make_sr_sdes_pli(uint8_t *p, uint32_t ssrc, uint64_t ntp, uint32_t ts, uint32_t pkts,
			       uint32_t octets, uint32_t media)
{
	size_t n = make_sr(p, ssrc, ntp, ts, pkts, octets);

	n += make_sdes(p + n, ssrc);
	return n + make_pli(p + n, ssrc, media);
}

static void dump(const char *what, const uint8_t *p, int n)
{
	printf("#   %s (%d bytes):", what, n);
	for (int i = 0; i < n && i < 96; i++)
		printf("%s%02x", i % 4 ? "" : " ", p[i]);
	printf("\n");
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

static uint64_t nb_drops(const struct ponte_flow_stats *st)
{
	uint64_t n = 0;

	for (int i = 0; i < PONTE_DROP_NB; i++)
		n += st->drops[i];
	return n;
}

/*
 * Wait until flow id has taken nb RTCP packets in, then until the dataplane has sent
 * whatever they made: a sync acknowledged after the counter moved comes after the transmit
 * of the burst that moved it.
 */
static bool wait_rtcp_in(uint64_t id, uint64_t nb)
{
	uint64_t until = now_ns() + RECV_MS * MS;

	while (stats(id).rtcp_in < nb) {
		if (now_ns() > until)
			return false;
		sleep_until(now_ns() + 2 * MS);
	}
	ponte_dp_sync(dp);
	return true;
}

static uint32_t open_port(struct ponte_addr *local)
{
	uint32_t id = 0;

	ponte_addr_parse(local, "127.0.0.1", 0);
	CHECK(ponte_dp_port_open(dp, local, 0, 0, &id) == 0 && local->port != 0,
	      "open a dataplane port on 127.0.0.1:%u", local->port);
	return id;
}

/* One compound RR as the gateway sends it: the RR and its first block, the SDES CNAME. */
struct rr_info {
	uint32_t reporter;
	unsigned nb_blocks;
	uint32_t ssrc;
	uint8_t fraction;
	int32_t lost;
	uint32_t ext_max, jitter, lsr, dlsr;
	uint32_t sdes_ssrc;
	char cname[256];
};

/* RFC 3550 §6.4.2 then §6.5: an RR, then optionally an SDES with a CNAME, and nothing else. */
static bool parse_rr(const uint8_t *p, size_t len, struct rr_info *rr)
{
	size_t plen, off;

	memset(rr, 0, sizeof(*rr));
	if (len < 8 || p[0] >> 6 != 2 || p[1] != 201)
		return false;
	plen = 4 * ((size_t)rd16(p + 2) + 1);
	rr->nb_blocks = p[0] & 0x1f;
	if (plen > len || plen != 8 + 24 * (size_t)rr->nb_blocks)
		return false;
	rr->reporter = rd32(p + 4);
	if (rr->nb_blocks > 0) {
		const uint8_t *b = p + 8;
		uint32_t lost = rd32(b + 4) & 0xffffff;

		rr->ssrc = rd32(b);
		rr->fraction = b[4];
		rr->lost = (int32_t)(lost & 0x800000 ? lost | 0xff000000u : lost);
		rr->ext_max = rd32(b + 8);
		rr->jitter = rd32(b + 12);
		rr->lsr = rd32(b + 16);
		rr->dlsr = rd32(b + 20);
	}
	off = plen;
	if (off == len)
		return true;
	/* One SDES chunk whose first item is the CNAME. */
	if (len - off < 12 || p[off] != 0x81 || p[off + 1] != 202 ||
	    4 * ((size_t)rd16(p + off + 2) + 1) != len - off || p[off + 8] != 1 ||
	    10 + (size_t)p[off + 9] > len - off)
		return false;
	rr->sdes_ssrc = rd32(p + off + 4);
	memcpy(rr->cname, p + off + 10, p[off + 9]);
	rr->cname[p[off + 9]] = '\0';
	return true;
}

/* A stream of RTP from one peer through one flow to another peer, and where the flow's
 * receiver reports go. */
struct leg {
	uint64_t flow;
	const struct peer *src;
	struct ponte_addr to;	/* the dataplane port the RTP is sent to */
	struct dp_srtp *src_tx; /* the sender's protecting context, NULL: plain */
	const struct peer *dst;
	struct dp_srtp *dst_rx; /* the receiver's unprotecting context, NULL: plain */
	uint32_t ssrc, out_ssrc, ts_delta;
	const struct peer *rr_to;
	struct dp_srtp *rr_rx;
	uint16_t rr_from_port; /* the dataplane port the reports must come from */
	uint32_t reporter;
	const char *cname;
	uint32_t clock_hz;
};

/* What has been sent on a leg and what came of it; zero it, then set first_seq and skip. */
struct run {
	uint16_t first_seq;
	uint32_t skip[2]; /* extended sequence numbers never sent (after the second packet) */
	unsigned nb_skip;
	uint32_t want_lsr; /* the LSR the reports must carry, 0: none yet */
	/* Progress. */
	uint32_t next; /* offset of the next sequence number from first_seq */
	unsigned nb_sent;
	uint32_t base; /* extended sequence number of the second packet (RFC 3550 A.1) */
	uint64_t next_ns;
	unsigned nb_fwd, nb_fwd_ok; /* received by dst; and rewritten as the output says */
	uint64_t reports_out;	    /* the flow's counter when last read */
	uint32_t prev_expected, prev_lost;
	unsigned nb_rr, nb_rr_ok;
	struct rr_info last; /* the last report */
	/* When the RTP that made the last report was sent, and when the report came. */
	uint64_t last_trigger_ns, last_recv_ns;
};

static bool is_skipped(const struct run *r, uint32_t ext)
{
	for (unsigned i = 0; i < r->nb_skip; i++)
		if (r->skip[i] == ext)
			return true;
	return false;
}

/* Receive and check one report about r's stream, made when ext (extended) arrived. */
static void take_report(const struct leg *l, struct run *r, uint32_t ext)
{
	uint8_t buf[2048];
	uint16_t from = 0;
	int n = recv_plain(l->rr_to, l->rr_rx, true, buf, sizeof(buf), &from);
	struct rr_info *rr = &r->last;
	uint32_t expected = ext - r->base + 1, lost = 0, exp_int, lost_int, fraction = 0;
	bool ok;

	r->nb_rr++;
	r->last_recv_ns = now_ns();
	for (unsigned i = 0; i < r->nb_skip; i++)
		lost += r->skip[i] > r->base && r->skip[i] <= ext;
	/* RFC 3550 A.3: the fraction lost since the previous report. */
	exp_int = expected - r->prev_expected;
	lost_int = lost - r->prev_lost;
	if (exp_int != 0 && lost_int != 0)
		fraction = (lost_int << 8) / exp_int;
	r->prev_expected = expected;
	r->prev_lost = lost;
	ok = n > 0 && parse_rr(buf, (size_t)n, rr) && rr->reporter == l->reporter &&
	     rr->nb_blocks == 1 && rr->ssrc == l->ssrc && rr->ext_max == ext &&
	     rr->lost == (int32_t)lost && rr->fraction == fraction && rr->lsr == r->want_lsr &&
	     (r->want_lsr != 0 || rr->dlsr == 0) && rr->jitter < l->clock_hz / 2 &&
	     rr->sdes_ssrc == l->reporter && strcmp(rr->cname, l->cname) == 0 &&
	     from == l->rr_from_port;
	if (ok) {
		r->nb_rr_ok++;
		return;
	}
	printf("# report %u after seq %u: want from %#x about %#x, ext %u, lost %u, fraction %u,"
	       " lsr %#x, cname %s, port %u\n",
	       r->nb_rr, ext, l->reporter, l->ssrc, ext, lost, fraction, r->want_lsr, l->cname,
	       l->rr_from_port);
	printf("#   have from %#x, %u blocks, about %#x, ext %u, lost %d, fraction %u, jitter %u,"
	       " lsr %#x, dlsr %u, sdes %#x cname %s, port %u\n",
	       rr->reporter, rr->nb_blocks, rr->ssrc, rr->ext_max, rr->lost, rr->fraction,
	       rr->jitter, rr->lsr, rr->dlsr, rr->sdes_ssrc, rr->cname, from);
	if (n > 0)
		dump("report", buf, n);
}

/*
 * Send up to nb RTP packets on leg l, SPACING_NS apart; each must reach dst rewritten. After
 * each, the flow's reports_out says whether it made a report, which is then received and
 * checked. With is_until_report, stop after the first report.
 */
static void stream(const struct leg *l, struct run *r, unsigned nb, bool is_until_report)
{
	uint8_t pkt[2048], sent[2048], got[2048];

	for (unsigned i = 0; i < nb; i++) {
		uint32_t ext = r->first_seq + r->next++;
		struct ponte_flow_stats st;
		uint64_t sent_ns;
		size_t len;
		int n;

		while (r->nb_sent >= 2 && is_skipped(r, ext))
			ext = r->first_seq + r->next++;
		len = make_rtp(pkt, 0, (uint16_t)ext, 0x10000 + TS_STEP * (ext - r->first_seq),
			       l->ssrc, PAYLOAD);
		memcpy(sent, pkt, len);
		if (l->src_tx != NULL)
			eng->rtp(l->src_tx, pkt, &len, sizeof(pkt));
		if (r->next_ns > now_ns())
			sleep_until(r->next_ns);
		sent_ns = now_ns();
		r->next_ns = sent_ns + SPACING_NS;
		peer_send(l->src, &l->to, pkt, len);
		if (++r->nb_sent == 2)
			r->base = ext;
		n = recv_plain(l->dst, l->dst_rx, false, got, sizeof(got), NULL);
		if (n >= 0) {
			r->nb_fwd++;
			r->nb_fwd_ok += n == 12 + PAYLOAD && got[0] == 0x80 && got[1] == 0 &&
					rd16(got + 2) == (uint16_t)ext &&
					rd32(got + 4) == rd32(sent + 4) + l->ts_delta &&
					rd32(got + 8) == l->out_ssrc &&
					memcmp(got + 12, sent + 12, PAYLOAD) == 0;
		}
		/* The receiver got it, so its burst was sent; this sync comes after. */
		st = stats(l->flow);
		while (r->reports_out < st.reports_out) {
			r->reports_out++;
			r->last_trigger_ns = sent_ns;
			take_report(l, r, ext);
		}
		if (is_until_report && r->nb_rr > 0)
			return;
	}
}

/* 1 and 2: plain RTP, reports back to the sender, SRs rebuilt for the receiver. */
static void test_plain(void)
{
	struct peer sender, receiver;
	struct ponte_addr a_local, b_local;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_flow_stats st, before;
	uint8_t pkt[256], want[256], got[2048];
	const uint64_t ntp = 0xe1f2a3b4c5d6e7f8ull;
	const uint32_t rtp_ts = 0x7ffffc00;
	size_t len, wlen;
	int n;

	peer_open(&sender);
	peer_open(&receiver);
	uint32_t pa = open_port(&a_local);
	uint32_t pb = open_port(&b_local);

	ponte_flow_spec_init(&spec, 10, pa);
	spec.src = sender.addr;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_ssrc = 0xfeedbeef;
	strcpy(spec.report_cname, "gw-test");
	spec.clock_khz[0] = 8;
	o = ponte_flow_add_output(&spec, pa, &sender.addr);
	o->kinds = PONTE_OUT_REPORTS;
	/* A map that would rename the sender's stream: reports must not go through it. */
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1111, .to = 0x9999};
	o = ponte_flow_add_output(&spec, pb, &receiver.addr);
	o->nb_ssrc_maps = 2;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1111, .to = 0x2222, .ts_delta = 1000};
	o->ssrc_maps[1] = (struct ponte_ssrc_map){.from = 0x3333, .to = 0x4343};
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "plain: add a terminating flow");
	ponte_dp_sync(dp);

	struct leg l = {.flow = 10,
			.src = &sender,
			.to = a_local,
			.dst = &receiver,
			.ssrc = 0x1111,
			.out_ssrc = 0x2222,
			.ts_delta = 1000,
			.rr_to = &sender,
			.rr_from_port = a_local.port,
			.reporter = 0xfeedbeef,
			.cname = "gw-test",
			.clock_hz = 8000};
	struct run r = {.first_seq = 1000, .skip = {1004, 1010}, .nb_skip = 2};
	uint64_t t0 = now_ns();

	stream(&l, &r, 60, false);
	CHECK(now_ns() - t0 > 1300 * MS, "plain: 60 RTP packets over %lu ms",
	      (unsigned long)((now_ns() - t0) / MS));
	CHECK(r.nb_fwd == 60 && r.nb_fwd_ok == 60,
	      "plain: the receiver got all 60, SSRC 0x1111->0x2222, ts +1000 (%u, %u ok)", r.nb_fwd,
	      r.nb_fwd_ok);
	CHECK(r.nb_rr >= 1 && r.nb_rr_ok == r.nb_rr,
	      "plain: %u report(s) to the sender, each RR from 0xfeedbeef, one block about 0x1111 "
	      "(not 0x9999), ext highest seq and loss of that moment, SDES CNAME gw-test",
	      r.nb_rr);
	CHECK(r.last.lost == 2,
	      "plain: the last report: cumulative lost 2 (ext highest seq %u, jitter %u)",
	      r.last.ext_max, r.last.jitter);
	st = stats(10);
	CHECK(st.reports_out == r.nb_rr && st.reports_out >= 1 && nb_drops(&st) == 0,
	      "plain: reports_out %lu, no drops", (unsigned long)st.reports_out);
	CHECK(peer_quiet(&sender), "plain: the sender gets nothing but the reports");

	/* 2. The sender's SR + SDES + PLI: the receiver gets an SR of its own in front. */
	before = st;
	len = make_sr_sdes_pli(pkt, 0x1111, ntp, rtp_ts, 9999, 9999 * 100, 0x3333);
	peer_send(&sender, &a_local, pkt, len);
	wlen = make_sr(want, 0x2222, ntp, rtp_ts + 1000, r.nb_fwd, r.nb_fwd * PAYLOAD);
	wlen += make_sdes(want + wlen, 0x2222);
	wlen += make_pli(want + wlen, 0x2222, 0x4343);
	n = peer_recv(&receiver, got, sizeof(got), NULL, RECV_MS);
	CHECK(n == (int)wlen && memcmp(got, want, wlen) == 0,
	      "SR: the receiver gets SR from 0x2222, same NTP, ts +1000, %u packets and %u octets "
	      "(not 9999), then SDES and PLI (0x1111->0x2222, media 0x3333->0x4343)",
	      r.nb_fwd, r.nb_fwd * PAYLOAD);
	if (n != (int)wlen || memcmp(got, want, wlen) != 0) {
		dump("have", got, n);
		dump("want", want, (int)wlen);
	}
	ponte_dp_sync(dp);
	CHECK(peer_quiet(&sender), "SR: the sender gets nothing back");
	st = stats(10);
	CHECK(st.srs_out == before.srs_out + 1 && st.rtcp_in == before.rtcp_in + 1 &&
		  st.reports_out == before.reports_out,
	      "SR: srs_out %lu -> %lu", (unsigned long)before.srs_out, (unsigned long)st.srs_out);

	/* An SR about a stream this output never sent: no SR, the rest goes on. */
	len = make_sr(pkt, 0x7777, ntp, rtp_ts, 5, 500);
	len += make_sdes(pkt + len, 0x7777);
	peer_send(&sender, &a_local, pkt, len);
	make_sdes(want, 0x7777);
	n = peer_recv(&receiver, got, sizeof(got), NULL, RECV_MS);
	CHECK(n == 20 && memcmp(got, want, 20) == 0,
	      "SR from 0x7777 (nothing sent under it): only its SDES reaches the receiver");
	st = stats(10);
	CHECK(st.srs_out == before.srs_out + 1, "... and no SR was counted");

	/* RRs: their report blocks describe the other leg; they stop here. */
	before = st;
	len = make_rr(pkt, 0x1111, 0x2222);
	peer_send(&sender, &a_local, pkt, len);
	CHECK(wait_rtcp_in(10, before.rtcp_in + 1), "RR: taken in by the flow");
	CHECK(peer_quiet(&receiver) && peer_quiet(&sender), "RR: forwarded nowhere");
	st = stats(10);
	CHECK(nb_drops(&st) == nb_drops(&before) && st.pkts_out == before.pkts_out,
	      "RR: not counted as a drop, nothing sent");
	len = make_rr(pkt, 0x1111, 0x2222);
	len += make_sdes(pkt + len, 0x1111);
	peer_send(&sender, &a_local, pkt, len);
	make_sdes(want, 0x2222);
	n = peer_recv(&receiver, got, sizeof(got), NULL, RECV_MS);
	CHECK(n == 20 && memcmp(got, want, 20) == 0,
	      "RR + SDES: only the SDES reaches the receiver, translated");
	CHECK(peer_quiet(&receiver), "... and nothing more");
	ponte_dp_flow_delete(dp, 10);
	close(sender.fd);
	close(receiver.fd);
}

/* 3. SRTP on every side: each report authenticates with its own output's key. */
static void test_srtp(void)
{
	struct peer sender, receiver;
	struct ponte_addr c_local, d_local;
	struct ponte_srtp_key k_in, k_back, k_out;
	struct dp_srtp *sender_tx, *sender_rx, *receiver_rx;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_flow_stats st;
	uint8_t pkt[256], want[256], got[2048];
	const uint64_t ntp = 0xe1f2a3b4c5d6e7f8ull;
	size_t len, wlen;
	int n;

	peer_open(&sender);
	peer_open(&receiver);
	uint32_t pc = open_port(&c_local);
	uint32_t pd = open_port(&d_local);

	key_fill(&k_in, PONTE_SRTP_AES128_CM_SHA1_80, 10);
	key_fill(&k_back, PONTE_SRTP_AEAD_AES_128_GCM, 20);
	key_fill(&k_out, PONTE_SRTP_AES128_CM_SHA1_32, 30);
	eng->create(&k_in, DP_SRTP_PROTECT, &sender_tx);
	eng->create(&k_back, DP_SRTP_UNPROTECT, &sender_rx);
	eng->create(&k_out, DP_SRTP_UNPROTECT, &receiver_rx);
	ponte_flow_spec_init(&spec, 20, pc);
	spec.src = sender.addr;
	spec.srtp = k_in;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_ssrc = 0xfeed0003;
	strcpy(spec.report_cname, "gw-srtp");
	spec.clock_khz[0] = 8;
	o = ponte_flow_add_output(&spec, pc, &sender.addr);
	o->srtp = k_back;
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(&spec, pd, &receiver.addr);
	o->srtp = k_out;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x1111, .to = 0x2222, .ts_delta = 1000};
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "srtp: add a terminating flow, SRTP everywhere");
	explicit_bzero(&spec, sizeof(spec));
	ponte_dp_sync(dp);

	/* Sequence numbers that wrap half-way: the reports' extended numbers go on. */
	struct leg l = {.flow = 20,
			.src = &sender,
			.to = c_local,
			.src_tx = sender_tx,
			.dst = &receiver,
			.dst_rx = receiver_rx,
			.ssrc = 0x1111,
			.out_ssrc = 0x2222,
			.ts_delta = 1000,
			.rr_to = &sender,
			.rr_rx = sender_rx,
			.rr_from_port = c_local.port,
			.reporter = 0xfeed0003,
			.cname = "gw-srtp",
			.clock_hz = 8000};
	struct run r = {.first_seq = 65500, .skip = {65530, 65540}, .nb_skip = 2};

	stream(&l, &r, 60, false);
	CHECK(r.nb_fwd == 60 && r.nb_fwd_ok == 60,
	      "srtp: the receiver authenticated and got all 60, rewritten (%u ok)", r.nb_fwd_ok);
	CHECK(r.nb_rr >= 1 && r.nb_rr_ok == r.nb_rr,
	      "srtp: %u report(s) authenticate with the back output's key (GCM SRTCP), right "
	      "blocks across the sequence wrap (last ext %u, lost %d)",
	      r.nb_rr, r.last.ext_max, r.last.lost);

	len = make_sr_sdes_pli(pkt, 0x1111, ntp, 0x10, 9999, 9999 * 100, 0x3333);
	eng->rtcp(sender_tx, pkt, &len, sizeof(pkt));
	peer_send(&sender, &c_local, pkt, len);
	wlen = make_sr(want, 0x2222, ntp, 0x10 + 1000, r.nb_fwd, r.nb_fwd * PAYLOAD);
	wlen += make_sdes(want + wlen, 0x2222);
	wlen += make_pli(want + wlen, 0x2222, 0x3333);
	n = recv_plain(&receiver, receiver_rx, true, got, sizeof(got), NULL);
	CHECK(n == (int)wlen && memcmp(got, want, wlen) == 0,
	      "srtp: the SR to the receiver authenticates with output 1's key, counts %u packets",
	      r.nb_fwd);
	if (n != (int)wlen || (n > 0 && memcmp(got, want, wlen) != 0)) {
		dump("have", got, n);
		dump("want", want, (int)wlen);
	}
	ponte_dp_sync(dp);
	CHECK(peer_quiet(&sender), "srtp: the sender gets nothing back from its SR");
	st = stats(20);
	CHECK(st.srs_out == 1 && nb_drops(&st) == 0, "srtp: srs_out 1, no drops");

	/* The control plane's own PLI goes through the back output, though it takes no RTCP. */
	len = make_pli(pkt, 0xfeed0003, 0x1111);
	CHECK(ponte_dp_flow_inject(dp, 20, 0, pkt, len) == 0, "srtp: inject a PLI on output 0");
	n = recv_plain(&sender, sender_rx, true, got, sizeof(got), NULL);
	CHECK(n == (int)len && memcmp(got, pkt, len) == 0,
	      "srtp: the sender gets it through the REPORTS-only output, SRTCP with its key");
	ponte_dp_flow_delete(dp, 20);
	eng->destroy(sender_tx);
	eng->destroy(sender_rx);
	eng->destroy(receiver_rx);
	close(sender.fd);
	close(receiver.fd);
}

/* 4. A SIP phone: RTP on one port, RTCP on another, the RTCP flow counting as the RTP flow. */
static void test_rtp_flow(void)
{
	struct peer phone_rtp, phone_rtcp, receiver;
	struct ponte_addr e_local, f_local, g_local;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct ponte_flow_stats st;
	uint8_t pkt[256], want[256], got[2048];
	const uint64_t ntp = 0xe123456789abcdefull;
	size_t len, wlen;
	int n;

	peer_open(&phone_rtp);
	peer_open(&phone_rtcp);
	peer_open(&receiver);
	uint32_t pe = open_port(&e_local);
	uint32_t pf = open_port(&f_local);
	uint32_t pg = open_port(&g_local);

	/* P: the phone's RTP; reports about it go out of the RTCP port to the phone's. */
	ponte_flow_spec_init(&spec, 30, pe);
	spec.src = phone_rtp.addr;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_ssrc = 0xfeed0004;
	strcpy(spec.report_cname, "gw-phone");
	spec.clock_khz[0] = 8;
	o = ponte_flow_add_output(&spec, pg, &receiver.addr);
	o->kinds = PONTE_OUT_RTP;
	o->ssrc_any = 0x4444;
	o = ponte_flow_add_output(&spec, pf, &phone_rtcp.addr);
	o->kinds = PONTE_OUT_REPORTS;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "rtp_flow: add the phone's RTP flow P");
	/* Q: the phone's RTCP, its statistics and counts P's. */
	ponte_flow_spec_init(&spec, 31, pf);
	spec.src = phone_rtcp.addr;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.rtp_flow = 30;
	o = ponte_flow_add_output(&spec, pg, &receiver.addr);
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = 0x4444;
	CHECK(ponte_dp_flow_add(dp, &spec) == 0, "rtp_flow: add the phone's RTCP flow Q");
	ponte_dp_sync(dp);

	struct leg l = {.flow = 30,
			.src = &phone_rtp,
			.to = e_local,
			.dst = &receiver,
			.ssrc = 0x5678,
			.out_ssrc = 0x4444,
			.rr_to = &phone_rtcp,
			.rr_from_port = f_local.port,
			.reporter = 0xfeed0004,
			.cname = "gw-phone",
			.clock_hz = 8000};
	struct run r = {.first_seq = 7};

	stream(&l, &r, 20, false);
	CHECK(r.nb_fwd == 20 && r.nb_fwd_ok == 20,
	      "rtp_flow: the receiver got 20 RTP from P as 0x4444 (%u ok)", r.nb_fwd_ok);

	/* The phone's SR on the RTCP port: the receiver's SR counts what P sent it. */
	len = make_sr(pkt, 0x5678, ntp, 0x4242, 7777, 7777 * 160);
	uint64_t sr_sent_ns = now_ns();

	peer_send(&phone_rtcp, &f_local, pkt, len);
	wlen = make_sr(want, 0x4444, ntp, 0x4242, r.nb_fwd, r.nb_fwd * PAYLOAD);
	n = peer_recv(&receiver, got, sizeof(got), NULL, RECV_MS);
	uint64_t sr_seen_ns = now_ns();

	CHECK(n == (int)wlen && memcmp(got, want, wlen) == 0,
	      "rtp_flow: the receiver gets an SR from 0x4444 counting P's %u packets", r.nb_fwd);
	if (n != (int)wlen || (n > 0 && memcmp(got, want, wlen) != 0)) {
		dump("have", got, n);
		dump("want", want, (int)wlen);
	}
	st = stats(31);
	CHECK(st.srs_out == 1 && st.rtcp_in == 1 && nb_drops(&st) == 0,
	      "rtp_flow: Q counts the SR it made (srs_out %lu)", (unsigned long)st.srs_out);

	/* P's next report: LSR from that SR, DLSR the time between (RFC 3550 §6.4.1). */
	unsigned nb_before = r.nb_rr;

	r.want_lsr = (uint32_t)(ntp >> 16);
	stream(&l, &r, 200, true);
	CHECK(r.nb_rr > nb_before && r.nb_rr_ok == r.nb_rr,
	      "rtp_flow: P's next report to the phone's RTCP port has LSR %#x", r.last.lsr);
	/* DLSR counts from the SR's arrival (after sr_sent_ns, before sr_seen_ns) to the
	 * report (after the RTP that made it was sent, before it was received). */
	double dlsr_s = r.last.dlsr / 65536.0;
	double max_s = (double)(r.last_recv_ns - sr_sent_ns) / 1e9 + 1 / 65536.0;
	double min_s = ((double)r.last_trigger_ns - (double)sr_seen_ns) / 1e9 - 1 / 65536.0;

	CHECK(r.last.dlsr > 0 && dlsr_s <= max_s && dlsr_s >= min_s,
	      "rtp_flow: DLSR %.4f s, within [%.4f, %.4f]", dlsr_s, min_s, max_s);
	ponte_dp_flow_delete(dp, 31);
	ponte_dp_flow_delete(dp, 30);
	close(phone_rtp.fd);
	close(phone_rtcp.fd);
	close(receiver.fd);
}

int main(void)
{
	struct ponte_dp_config cfg = {.max_flows = 64, .max_ports = 16};

	CHECK(ponte_dp_create(&cfg, &dp) == 0, "create the socket dataplane");
	eng = dp_srtp_engine_default();
	test_plain();
	test_srtp();
	test_rtp_flow();
	ponte_dp_destroy(dp);
	return tap_done();
}
