/* SPDX-License-Identifier: MIT */
/*
 * dp_pipe_input_burst() against dp_pipe_input(): two copies of the same flows, built from the
 * same specs and keys, are fed the same random packets, one copy a packet at a time, the other
 * in bursts of 1 to 80. Every byte sent (with its port and destination), every packet handed
 * to the control plane (mirror), every verdict, and every flow's counters, receiver and sender
 * statistics, stream continuity and latched source must be equal.
 *
 * The mix: six flows shaped like a bridged call (browser -> phone with terminated RTCP and
 * SRTP in, a latching plain phone flow with SRTP out and a mirrored telephone-event type, the
 * phone's RTCP-only flow), a relay leg (AES-GCM in, AES-CM out, SSRC maps), a room-like flow
 * forwarding RTCP to five outputs of mixed profiles (one whose sends fail, a mirror-only
 * type) and a flow with a fixed source whose receiver reports go out of the output that takes
 * its RTP (such a packet goes alone when its report is due); packets in order, late, replayed,
 * with a forged tag, truncated, from another source, with a new SSRC, of payload types an
 * output drops; SRTCP and RTCP compounds; time moving so that receiver reports fall due in the
 * middle of bursts (built, protected and sent inside their packet's batch: the test counts
 * those); and a backend that now and then has fewer buffers than a batch asks for. Run with
 * each engine (the ipsec-mb one has a real burst op, the libsrtp2 one loops over rtp()).
 *
 * The packets come from a fixed seed, so that CI always runs the same mix; PONTE_TEST_SEED (in
 * the environment) or the first argument chooses another (decimal or 0x hex, not 0), and the
 * first line printed says which, to run a failing mix again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "srtp.h"
#include "tap.h"

#define NB_FLOWS 6
#define NB_PKTS 30000
#define PORT_FAIL 9 /* sends through this port fail */
#define KEEP 4	    /* packets a sender keeps for replays and late delivery */

#define SEED_DEFAULT 0x9e3779b97f4a7c15ull

static uint64_t mix_seed = SEED_DEFAULT, rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}

/* ---- one copy of the flows, and what it sent ---- */

struct world {
	const char *name;
	struct dp_pipe pp;
	struct dp_flow *flows[NB_FLOWS];
	uint8_t *log;
	size_t log_len, log_cap;
	uint8_t one_buf[DP_PIPE_BUF];
	uint8_t bufs[DP_PIPE_BURST_OUT][DP_PIPE_BUF];
	bool is_short; /* tx_bufs() hands out one buffer less than asked */
	unsigned long nb_own; /* packets sent from their own buffer (tx_own) */
	unsigned long nb_batch_rr; /* receiver reports sent from a batch (tx_buf_send) */
	/* The burst world gives the pipeline an epoch: it keeps flow_by_id()'s answers (the
	 * flows never change here), the other asks every time. */
	uint64_t epoch;
};

static void log_add(struct world *w, const void *p, size_t len)
{
	if (w->log_len + len > w->log_cap) {
		w->log_cap = (w->log_len + len) * 2;
		w->log = realloc(w->log, w->log_cap);
	}
	memcpy(w->log + w->log_len, p, len);
	w->log_len += len;
}

static void log_send(struct world *w, uint32_t port_id, const struct ponte_addr *dst,
		     const uint8_t *buf, size_t len)
{
	uint32_t hdr[3] = {0x53454e44, port_id, (uint32_t)len};

	log_add(w, hdr, sizeof(hdr));
	log_add(w, &dst->family, sizeof(dst->family));
	log_add(w, &dst->port, sizeof(dst->port));
	log_add(w, dst->ip, sizeof(dst->ip));
	log_add(w, buf, len);
}

static uint8_t *w_tx_buf(void *be)
{
	return ((struct world *)be)->one_buf;
}

static bool w_tx(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len,
		 struct dp_nh_cache *nh)
{
	struct world *w = be;

	(void)nh;
	if (port_id == PORT_FAIL)
		return false;
	log_send(w, port_id, dst, w->one_buf, len);
	return true;
}

static unsigned w_tx_bufs(void *be, uint8_t *bufs[], unsigned n)
{
	struct world *w = be;
	unsigned got = w->is_short && n > 0 ? n - 1 : n;

	for (unsigned k = 0; k < got; k++)
		bufs[k] = w->bufs[k];
	return got;
}

static bool w_tx_buf_send(void *be, unsigned k, uint32_t port_id, const struct ponte_addr *dst,
			  size_t len, struct dp_nh_cache *nh)
{
	struct world *w = be;

	(void)nh;
	if (port_id == PORT_FAIL)
		return false;
	/* An RR (RFC 3550 §6.4.2; its header is in the clear in SRTCP too) sent from a
	 * batch's buffer: a report built and sent inside its packet's batch. */
	w->nb_batch_rr += len >= 8 && w->bufs[k][1] == 201;
	log_send(w, port_id, dst, w->bufs[k], len);
	return true;
}

/* Forwarding in place: the packet's own buffer (its ctx) holds what is sent. */
static bool w_tx_own(void *be, void *ctx, uint32_t port_id, const struct ponte_addr *dst,
		     size_t len, struct dp_nh_cache *nh)
{
	struct world *w = be;

	(void)nh;
	if (port_id == PORT_FAIL)
		return false;
	w->nb_own++;
	log_send(w, port_id, dst, ctx, len);
	return true;
}

static struct dp_flow *w_flow_by_id(void *be, uint64_t id, void **hint)
{
	struct world *w = be;

	return id >= 1 && id <= NB_FLOWS ? w->flows[id - 1] : NULL;
}

static void w_mirror(void *be, const struct dp_flow *f, const struct ponte_addr *src,
		     const uint8_t *pkt, size_t len)
{
	uint32_t hdr[3] = {0x4d495252, (uint32_t)f->spec.id, (uint32_t)len};

	log_add(be, hdr, sizeof(hdr));
	log_add(be, &src->port, sizeof(src->port));
	log_add(be, pkt, len);
}

static void log_verdict(struct world *w, int verdict)
{
	uint32_t hdr[2] = {0x454e4421, (uint32_t)verdict};

	log_add(w, hdr, sizeof(hdr));
}

static void w_end(void *be, void *ctx, int verdict)
{
	(void)ctx;
	log_verdict(be, verdict);
}

/* ---- the flows ---- */

static void key(struct ponte_srtp_key *k, uint16_t profile, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->profile = profile;
	if (profile == PONTE_SRTP_NULL)
		return;
	ponte_srtp_profile_sizes(profile, &k->key_len, &k->salt_len, &(uint8_t){0});
	for (int i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(seed * 7 + i);
	for (int i = 0; i < k->salt_len; i++)
		k->salt[i] = (uint8_t)(seed * 13 + i);
}

static struct ponte_addr addr(const char *ip, uint16_t port)
{
	struct ponte_addr a;

	ponte_addr_parse(&a, ip, port);
	return a;
}

/* The specs, the same for both copies. in_keys[i] is what flow i + 1 unprotects with. */
static struct ponte_flow_spec specs[NB_FLOWS];

static void make_specs(void)
{
	struct ponte_addr browser = addr("198.51.100.1", 5000), phone = addr("203.0.113.2", 6000);
	struct ponte_addr phone_rtcp = addr("203.0.113.2", 6001), other = addr("198.51.100.9", 7000);
	const uint16_t cm = PONTE_SRTP_AES128_CM_SHA1_80, gcm = PONTE_SRTP_AEAD_AES_128_GCM;
	struct ponte_flow_spec *s;
	struct ponte_flow_output *o;

	/* 1: browser -> phone, as control/bridge.c builds it. */
	s = &specs[0];
	ponte_flow_spec_init(s, 1, 1);
	key(&s->srtp, cm, 1);
	s->rtcp = PONTE_RTCP_TERMINATE;
	s->report_ssrc = 0x11110001;
	strcpy(s->report_cname, "a");
	s->clock_khz[0] = 8;
	o = ponte_flow_add_output(s, 1, &browser);
	key(&o->srtp, cm, 2);
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(s, 2, &phone);
	o->kinds = PONTE_OUT_RTP;
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->pt_map[0] = 0;
	o->pt_map[126] = 101;
	o->ssrc_any = 0x22220001;
	o->dst_latch_flow = 2;
	o = ponte_flow_add_output(s, 3, &phone_rtcp);
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = 0x22220001;
	o->dst_latch_flow = 3;

	/* 2: phone -> browser: latching, plain in, SRTP out, telephone-events mirrored. */
	s = &specs[1];
	ponte_flow_spec_init(s, 2, 2);
	s->is_latching = true;
	s->rtcp = PONTE_RTCP_TERMINATE;
	s->report_ssrc = 0x22220001;
	s->clock_khz[0] = 8;
	s->clock_khz[101] = 8;
	s->mirror_pt = 101;
	o = ponte_flow_add_output(s, 3, &phone_rtcp);
	o->kinds = PONTE_OUT_REPORTS;
	o->dst_latch_flow = 3;
	o = ponte_flow_add_output(s, 1, &browser);
	key(&o->srtp, cm, 3);
	o->kinds = PONTE_OUT_RTP;
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->pt_map[0] = 0;
	o->pt_map[101] = 126;
	o->ssrc_any = 0x33330001;

	/* 3: the phone's RTCP, its statistics flow 2's. */
	s = &specs[2];
	ponte_flow_spec_init(s, 3, 3);
	s->is_latching = true;
	s->rtcp = PONTE_RTCP_TERMINATE;
	s->rtp_flow = 2;
	o = ponte_flow_add_output(s, 1, &browser);
	key(&o->srtp, cm, 4);
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = 0x33330001;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0x22220001, .to = 0x44440001};

	/* 4: a relay leg, AES-GCM in, AES-CM out, the sender's SSRC mapped. */
	s = &specs[3];
	ponte_flow_spec_init(s, 4, 4);
	key(&s->srtp, gcm, 5);
	s->rtcp = PONTE_RTCP_TERMINATE;
	s->report_ssrc = 0x55550001;
	s->clock_khz[111] = 48;
	o = ponte_flow_add_output(s, 4, &other);
	key(&o->srtp, gcm, 6);
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(s, 1, &browser);
	key(&o->srtp, cm, 7);
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->pt_map[111] = 109;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){
	    .from = 0x40000001, .to = 0x66660001, .seq_delta = 1000, .ts_delta = 12345};

	/* 5: room-like, RTCP forwarded to five outputs; one's sends fail; PT 126 mirror only. */
	s = &specs[4];
	ponte_flow_spec_init(s, 5, 5);
	key(&s->srtp, cm, 8);
	s->rtcp = PONTE_RTCP_FORWARD;
	s->mirror_pt = 126;
	s->is_mirror_only = true;
	for (int i = 0; i < 5; i++) {
		struct ponte_addr d = addr("192.0.2.50", (uint16_t)(8000 + i));

		o = ponte_flow_add_output(s, i == 3 ? PORT_FAIL : 5, &d);
		key(&o->srtp, i == 2 ? PONTE_SRTP_NULL : (i & 1) ? gcm : cm, (uint8_t)(9 + i));
		o->ssrc_any = i == 4 ? 0x77770001 : 0;
	}

	/* 6: a fixed source, plain in, AES-GCM out; its reports go out of its RTP output (one
	 * context for both: such a packet goes alone when a report is due). */
	s = &specs[5];
	ponte_flow_spec_init(s, 6, 6);
	s->src = other;
	s->rtcp = PONTE_RTCP_TERMINATE;
	s->report_ssrc = 0x66660002;
	s->clock_khz[0] = 8;
	o = ponte_flow_add_output(s, 6, &browser);
	key(&o->srtp, gcm, 20);
	o->kinds = PONTE_OUT_RTP | PONTE_OUT_REPORTS;
}

static int world_init(struct world *w, const char *name, const struct dp_srtp_engine *eng,
		      bool is_burst)
{
	memset(w->flows, 0, sizeof(w->flows));
	w->name = name;
	w->log = NULL;
	w->log_len = w->log_cap = 0;
	w->is_short = false;
	w->nb_own = 0;
	w->nb_batch_rr = 0;
	w->epoch = 1;
	w->pp = (struct dp_pipe){
	    .srtp = eng,
	    .be = w,
	    .tx_buf = w_tx_buf,
	    .tx = w_tx,
	    .flow_by_id = w_flow_by_id,
	    .epoch = is_burst ? &w->epoch : NULL,
	    .mirror = w_mirror,
	    .tx_bufs = is_burst ? w_tx_bufs : NULL,
	    .tx_buf_send = is_burst ? w_tx_buf_send : NULL,
	    .tx_own = is_burst ? w_tx_own : NULL,
	    .end = is_burst ? w_end : NULL,
	};
	for (int i = 0; i < NB_FLOWS; i++) {
		int rc = dp_flow_build(eng, &specs[i], NULL, &w->flows[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static void world_fini(struct world *w)
{
	for (int i = 0; i < NB_FLOWS; i++)
		dp_flow_free(w->pp.srtp, w->flows[i]);
	free(w->log);
}

/* ---- the senders ---- */

struct sender {
	struct dp_srtp *tx; /* NULL: plain */
	uint32_t ssrc;
	uint16_t seq;
	uint16_t seqs[3]; /* where each of the SSRCs it switches between left off, 0: unused */
	uint32_t ts;
	uint32_t nb_sr;
	uint8_t pt;
	struct ponte_addr src;
	uint8_t kept[KEEP][DP_PIPE_BUF]; /* protected packets sent or held back */
	size_t kept_len[KEEP];
	unsigned nb_kept;
};

static struct sender senders[NB_FLOWS];

static size_t make_rtp(struct sender *s, uint8_t *pkt, uint8_t pt)
{
	size_t plen = 20 + rnd(180);

	s->seq++;
	s->ts += 160;
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(s->seq >> 8);
	pkt[3] = (uint8_t)s->seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(s->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(s->ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < plen; i++)
		pkt[12 + i] = (uint8_t)rnd(256);
	return 12 + plen;
}

/* An SR, sometimes with one report block and an SDES CNAME. */
static size_t make_rtcp(struct sender *s, uint8_t *pkt)
{
	size_t len = 28;
	bool has_rb = rnd(2) == 0;

	memset(pkt, 0, 64);
	pkt[0] = 0x80 | (has_rb ? 1 : 0);
	pkt[1] = 200;
	pkt[3] = has_rb ? 12 : 6;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(s->ssrc >> (24 - 8 * i));
		pkt[16 + i] = (uint8_t)(s->ts >> (24 - 8 * i));
	}
	pkt[8] = (uint8_t)(0x80 + s->nb_sr++);
	pkt[23] = (uint8_t)s->seq;
	if (has_rb) {
		memset(pkt + 28, 0, 24);
		pkt[28] = 0x12;
		len += 24;
	}
	pkt[len] = 0x81;
	pkt[len + 1] = 202;
	pkt[len + 3] = 3;
	memcpy(pkt + len + 4, pkt + 4, 4);
	pkt[len + 8] = 1;
	pkt[len + 9] = 2;
	pkt[len + 10] = 'x';
	pkt[len + 11] = 'y';
	return len + 16;
}

static void keep(struct sender *s, const uint8_t *pkt, size_t len)
{
	unsigned k = s->nb_kept++ % KEEP;

	memcpy(s->kept[k], pkt, len);
	s->kept_len[k] = len;
}

/* The next packet of flow fi, as it comes off the wire; *is_rtcp, *src say how. */
static size_t next_packet(unsigned fi, uint8_t *pkt, bool *is_rtcp, const struct ponte_addr **src)
{
	static const struct ponte_addr stranger = {.family = 2, .port = 4444, .ip = {10, 9, 9, 9}};
	struct sender *s = &senders[fi];
	unsigned r = rnd(100);
	size_t len;
	int rc = 0;

	*is_rtcp = false;
	*src = rnd(40) == 0 ? &stranger : &s->src;
	if (r < 6) {
		*is_rtcp = true;
		len = make_rtcp(s, pkt);
		if (s->tx != NULL)
			rc = dp_srtp_rtcp(s->tx, pkt, &len, DP_PIPE_BUF);
		return rc == 0 ? len : 0;
	}
	if (r < 12 && s->nb_kept > 0) {
		/* Replayed, or late: a packet kept from before (some never sent). */
		unsigned k = rnd(s->nb_kept < KEEP ? s->nb_kept : KEEP);

		memcpy(pkt, s->kept[k], s->kept_len[k]);
		return s->kept_len[k];
	}
	if (r < 15) {
		/* A switch to one of three streams: a new one starts anywhere, one seen before
		 * goes on a little after where it left off. (Jumping anywhere within a stream
		 * desynchronises the receiver's rollover counter for good, RFC 3711 3.3.1, and
		 * that flow then only ever fails authentication.) */
		unsigned k = rnd(3);

		s->seqs[(s->ssrc - 0x40000001) / 0x100 % 3] = (uint16_t)(s->seq | 1);
		s->ssrc = 0x40000001 + k * 0x100;
		s->seq = s->seqs[k] != 0 ? (uint16_t)(s->seqs[k] + rnd(100)) : (uint16_t)rnd(65536);
	}
	/* Now and then a telephone-event (mirrored by flows 2 and 5) or a type some output
	 * drops. */
	len = make_rtp(s, pkt,
		       r >= 20 ? s->pt : rnd(3) == 0 ? 101 : rnd(2) ? 126 : (uint8_t)(96 + rnd(32)));
	if (s->tx != NULL)
		rc = dp_srtp_rtp(s->tx, pkt, &len, DP_PIPE_BUF);
	if (rc != 0)
		return 0;
	if (r < 24) {
		/* Held back, to come late. */
		keep(s, pkt, len);
		return next_packet(fi, pkt, is_rtcp, src);
	}
	keep(s, pkt, len);
	if (r < 27)
		pkt[len - 1 - rnd(4)] ^= 0x20; /* forged tag */
	else if (r < 29)
		len = 5 + rnd(8); /* truncated */
	return len;
}

/* ---- the comparison ---- */

static bool same_state(const struct dp_flow *a, const struct dp_flow *b)
{
	if (memcmp(&a->st, &b->st, sizeof(a->st)) != 0 ||
	    !ponte_addr_equal(&a->latched, &b->latched) ||
	    memcmp(&a->rx, &b->rx, sizeof(a->rx)) != 0 ||
	    a->spec.nb_outputs != b->spec.nb_outputs || a->next_report_ns != b->next_report_ns)
		return false;
	for (unsigned i = 0; i < a->spec.nb_outputs; i++)
		if (memcmp(&a->os[i].tx, &b->os[i].tx, sizeof(a->os[i].tx)) != 0 ||
		    memcmp(&a->os[i].cont, &b->os[i].cont, sizeof(a->os[i].cont)) != 0)
			return false;
	return true;
}

/* Whether the mix so far has exercised what the comparison is about. */
static bool mix_covered(const struct world *w, uint64_t nb_short)
{
	const struct ponte_flow_stats *a = &w->flows[0]->st, *b = &w->flows[1]->st;
	const struct ponte_flow_stats *e = &w->flows[4]->st, *g = &w->flows[5]->st;

	return a->drops[PONTE_DROP_AUTH] > 0 && a->drops[PONTE_DROP_REPLAY] > 0 &&
	       a->drops[PONTE_DROP_MALFORMED] > 0 && a->drops[PONTE_DROP_PT] > 0 &&
	       a->reports_out > 10 && a->srs_out > 10 && g->reports_out > 5 &&
	       b->drops[PONTE_DROP_SOURCE] > 0 &&
	       b->ssrc_switches > 0 && e->drops[PONTE_DROP_TX] > 0 && nb_short > 10;
}

struct pkt_copy {
	uint8_t b[DP_PIPE_BUF];
};

static void run_engine(const struct dp_srtp_engine *eng)
{
	static struct world one, burst;
	static struct pkt_copy in_one[80], in_burst[80];
	struct dp_pipe_pkt bp[80];
	uint64_t now_ns = 1000000000ull;
	uint64_t nb_rtcp = 0, nb_batched_bursts = 0, nb_short = 0;
	unsigned done = 0;
	bool is_ok = true;

	CHECK(eng->init() == 0, "%s: engine up", eng->name);
	rng = mix_seed; /* each engine sees the same mix */
	CHECK(world_init(&one, "one", eng, false) == 0 && world_init(&burst, "burst", eng, true) == 0,
	      "%s: the same flows built twice", eng->name);
	for (unsigned i = 0; i < NB_FLOWS; i++) {
		struct sender *s = &senders[i];

		memset(s, 0, sizeof(*s));
		s->ssrc = 0x40000001 + i;
		s->seq = (uint16_t)(i * 9000 + 65000);
		s->pt = i == 3 ? 111 : 0;
		s->src = i == 5 ? specs[5].src : addr("203.0.113.2", (uint16_t)(6000 + i));
		if (specs[i].srtp.profile != PONTE_SRTP_NULL)
			CHECK(eng->create(&specs[i].srtp, DP_SRTP_PROTECT, &s->tx) == 0,
			      "%s: sender %u", eng->name, i + 1);
	}
	/* NB_PKTS packets, and more (up to 4 times as many) while some seed's mix has not yet
	 * exercised everything the check after the loop requires. */
	while (done < NB_PKTS || (!mix_covered(&one, nb_short) && done < 4 * NB_PKTS)) {
		unsigned n = 1 + rnd(rnd(4) == 0 ? 80 : 32);
		const struct ponte_addr *srcs[80];

		for (unsigned j = 0; j < n; j++) {
			/* Flows 1, 2 and 4 carry most packets. */
			static const uint8_t pick[] = {0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 5};
			unsigned fi = pick[rnd(sizeof(pick))];
			bool is_rtcp;
			size_t len;

			do {
				len = next_packet(fi, in_one[j].b, &is_rtcp, &srcs[j]);
			} while (len == 0);
			memcpy(in_burst[j].b, in_one[j].b, len);
			bp[j] = (struct dp_pipe_pkt){.f = burst.flows[fi],
						     .src = srcs[j],
						     .pkt = in_burst[j].b,
						     .len = len,
						     .is_rtcp = is_rtcp,
						     .ctx = in_burst[j].b};
			nb_rtcp += is_rtcp;
		}
		for (unsigned j = 0; j < n; j++) {
			struct dp_flow *f = one.flows[bp[j].f->spec.id - 1];
			struct ponte_flow_stats st0 = f->st;
			int verdict = DP_PIPE_TAKEN;

			dp_pipe_input(&one.pp, f, bp[j].src, bp[j].is_rtcp, in_one[j].b, bp[j].len,
				      now_ns);
			for (int d = 0; d < PONTE_DROP_NB; d++)
				if (d != PONTE_DROP_PT && d != PONTE_DROP_TX &&
				    d != PONTE_DROP_STALE && f->st.drops[d] != st0.drops[d])
					verdict = d;
			log_verdict(&one, verdict);
		}
		burst.is_short = rnd(10) == 0;
		nb_short += burst.is_short;
		nb_batched_bursts += n > 1;
		dp_pipe_input_burst(&burst.pp, bp, n, now_ns);
		done += n;
		now_ns += rnd(40) * 1000000ull;
		if (one.log_len != burst.log_len || memcmp(one.log, burst.log, one.log_len) != 0) {
			is_ok = false;
			size_t at = 0;

			while (at < one.log_len && at < burst.log_len && one.log[at] == burst.log[at])
				at++;
			printf("# %s: outputs differ after %u packets, at byte %zu of %zu/%zu "
			       "(seed %#llx)\n",
			       eng->name, done, at, one.log_len, burst.log_len,
			       (unsigned long long)mix_seed);
			if (getenv("TEST_DUMP") != NULL) {
				FILE *fa = fopen("/tmp/pb_one.bin", "wb"), *fb = fopen("/tmp/pb_burst.bin", "wb");

				fwrite(one.log, 1, one.log_len, fa);
				fwrite(burst.log, 1, burst.log_len, fb);
				fclose(fa);
				fclose(fb);
			}
			break;
		}
	}
	CHECK(is_ok, "%s: %u packets (%llu RTCP) in %llu bursts, %llu short of buffers: every "
		     "byte sent, mirrored and every verdict the same",
	      eng->name, done, (unsigned long long)nb_rtcp, (unsigned long long)nb_batched_bursts,
	      (unsigned long long)nb_short);
	for (unsigned i = 0; i < NB_FLOWS; i++) {
		const struct ponte_flow_stats *st = &one.flows[i]->st;

		CHECK(same_state(one.flows[i], burst.flows[i]),
		      "%s: flow %u: counters and state the same (in %llu/%llu, out %llu, drops "
		      "malformed %llu auth %llu replay %llu pt %llu tx %llu source %llu stale %llu, "
		      "reports %llu, srs %llu, switches %llu)",
		      eng->name, i + 1, (unsigned long long)st->rtp_in,
		      (unsigned long long)st->rtcp_in, (unsigned long long)st->pkts_out,
		      (unsigned long long)st->drops[PONTE_DROP_MALFORMED],
		      (unsigned long long)st->drops[PONTE_DROP_AUTH],
		      (unsigned long long)st->drops[PONTE_DROP_REPLAY],
		      (unsigned long long)st->drops[PONTE_DROP_PT],
		      (unsigned long long)st->drops[PONTE_DROP_TX],
		      (unsigned long long)st->drops[PONTE_DROP_SOURCE],
		      (unsigned long long)st->drops[PONTE_DROP_STALE],
		      (unsigned long long)st->reports_out, (unsigned long long)st->srs_out,
		      (unsigned long long)st->ssrc_switches);
	}
	/* The mix must have exercised what it is about, or the comparison proves little. */
	CHECK(mix_covered(&one, nb_short),
	      "%s: the mix had forged, replayed, malformed, dropped-type, wrong-source packets, "
	      "reports, SRs, SSRC switches, failed sends and short batches (in %u packets)",
	      eng->name, done);
	CHECK(burst.nb_own > 0, "%s: %lu packets forwarded in their own buffer (tx_own)", eng->name,
	      burst.nb_own);
	CHECK(burst.nb_batch_rr > 10, "%s: %lu receiver reports built and sent inside a batch",
	      eng->name, burst.nb_batch_rr);
	for (unsigned i = 0; i < NB_FLOWS; i++)
		dp_srtp_destroy(senders[i].tx);
	world_fini(&one);
	world_fini(&burst);
}

/* The seed from text (PONTE_TEST_SEED or argv[1]): 0, or -EINVAL. xorshift stays at 0 forever,
 * so 0 is refused. */
static int seed_parse(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0' || v == 0 || text[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : getenv("PONTE_TEST_SEED");

	if (text != NULL && text[0] != '\0' && seed_parse(text, &mix_seed) != 0) {
		fprintf(stderr,
			"test_pipe_burst: bad seed '%s' (%s): a non-zero integer, decimal or 0x hex\n",
			text, argc > 1 ? "argv[1]" : "PONTE_TEST_SEED");
		return 2;
	}
	printf("# seed %#llx%s\n", (unsigned long long)mix_seed,
	       mix_seed == SEED_DEFAULT ? " (the default)" : "");
	make_specs();
	run_engine(&dp_srtp_engine_libsrtp);
#ifdef PONTE_HAVE_IPSEC_MB
	run_engine(&dp_srtp_engine_ipsec_mb);
#endif
	return tap_done();
}
