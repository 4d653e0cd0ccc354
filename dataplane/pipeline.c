/* SPDX-License-Identifier: MIT */
#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ponte/demux.h>

#include "rtp.h"

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

#define MAX_SR_PER_COMPOUND 4

#define LINE 64

static bool same_key(const struct ponte_srtp_key *a, const struct ponte_srtp_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The size of an entry of nb outputs (struct dp_flow): os[nb], then the head and the spec up
 * to its last output; the whole in cache lines. */
static size_t flow_size(unsigned nb)
{
	size_t n = offsetof(struct dp_flow, spec) + offsetof(struct ponte_flow_spec, outputs) +
		   nb * sizeof(struct ponte_flow_output);

	return nb * sizeof(struct dp_out_state) + ((n + LINE - 1) & ~(size_t)(LINE - 1));
}

/*
 * Entries live in 2 MiB chunks that transparent huge pages can back (THP "madvise", as the
 * ipsec-mb engine's contexts): 200,000 flows of 3 KB on 4 KB pages are 150,000 pages, far
 * more than a TLB holds, and in a VM each miss walks two page tables. Freed entries go on a
 * list per size (an entry's size depends on its number of outputs only) for the next of that
 * size; the chunks stay with the process. Built with AddressSanitizer, plain malloc, so that it
 * still sees an entry overrun.
 */
#define CHUNK_LEN (2u << 20)
#define NB_SIZES 256

static struct {
	pthread_mutex_t lock; /* the free lists and the chunk being cut: any control thread */
	void *free[NB_SIZES]; /* by size / LINE: entries, each holding the next's address */
	uint8_t *next;
	size_t left;
} slab = {.lock = PTHREAD_MUTEX_INITIALIZER};

#if defined(__SANITIZE_ADDRESS__)
#define USE_SLAB 0
#else
#define USE_SLAB 1
#endif

static uint8_t *map_chunk(void)
{
	uint8_t *p =
	    mmap(NULL, 2 * CHUNK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (CHUNK_LEN - ((uintptr_t)p & (CHUNK_LEN - 1))) & (CHUNK_LEN - 1);
	if (head > 0)
		munmap(p, head);
	munmap(p + head + CHUNK_LEN, CHUNK_LEN - head);
	p += head;
	/* Only a hint: without huge pages the entries work the same, with more TLB misses. */
	(void)madvise(p, CHUNK_LEN, MADV_HUGEPAGE);
	return p;
}

/* size: a multiple of LINE. Zeroed. */
static void *entry_alloc(size_t size)
{
	void *e = NULL;

	if (!USE_SLAB || size / LINE >= NB_SIZES || size > CHUNK_LEN) {
		e = aligned_alloc(LINE, size);
		if (e != NULL)
			memset(e, 0, size);
		return e;
	}
	pthread_mutex_lock(&slab.lock);
	if ((e = slab.free[size / LINE]) != NULL) {
		memcpy(&slab.free[size / LINE], e, sizeof(void *));
	} else {
		if (slab.left < size) {
			/* The rest of the old chunk is lost: less than one entry. */
			slab.next = map_chunk();
			slab.left = slab.next != NULL ? CHUNK_LEN : 0;
		}
		if (slab.left >= size) {
			e = slab.next;
			slab.next += size;
			slab.left -= size;
		}
	}
	pthread_mutex_unlock(&slab.lock);
	if (e != NULL)
		memset(e, 0, size);
	return e;
}

/* e: wiped already. */
static void entry_free(void *e, size_t size)
{
	if (!USE_SLAB || size / LINE >= NB_SIZES || size > CHUNK_LEN) {
		free(e);
		return;
	}
	pthread_mutex_lock(&slab.lock);
	memcpy(e, &slab.free[size / LINE], sizeof(void *));
	slab.free[size / LINE] = e;
	pthread_mutex_unlock(&slab.lock);
}

_Static_assert(LINE == DP_LINE && sizeof(struct dp_out_state) % LINE == 0,
	       "an entry's head starts a line after its os[]");

void dp_flow_free(const struct dp_srtp_engine *srtp, struct dp_flow *f)
{
	size_t size;
	void *e;

	if (f == NULL)
		return;
	if (f->in != NULL && !(f->given_away & DP_GIVEN_IN))
		srtp->destroy(f->in);
	for (unsigned i = 0; i < f->nb_outputs; i++)
		if (f->os[i].ctx != NULL && !(f->given_away & (1u << i)))
			srtp->destroy(f->os[i].ctx);
	size = flow_size(f->nb_outputs);
	e = f->os;
	explicit_bzero(e, size);
	entry_free(e, size);
}

/* How closely an old output must match a new one to hand it its SRTP context. */
enum reuse_match {
	REUSE_SAME_DST,	  /* the same port and destination */
	REUSE_SAME_PORT,  /* the same port: the receiver moved */
	REUSE_SAME_KINDS, /* what it sends (RTP, RTCP): the port changed too */
};

static bool is_match(const struct ponte_flow_output *a, const struct ponte_flow_output *b,
		     enum reuse_match match)
{
	switch (match) {
	case REUSE_SAME_DST:
		return a->port_id == b->port_id && ponte_addr_equal(&a->dst, &b->dst);
	case REUSE_SAME_PORT:
		return a->port_id == b->port_id;
	default:
		return a->kinds == b->kinds;
	}
}

/*
 * The output of old whose SRTP context an output o of the entry replacing it takes over, -1:
 * none. Only one with the same keys, and the closest first (enum reuse_match): when the
 * receiver moves (a re-INVITE with a new address), a new context would start the packet index
 * again (ROC 0, the SRTCP index from its start) under the same key: keystream reuse (RFC 3711
 * §9.1), and a receiver that kept its context, as it must, would drop or fail what follows. So
 * a key keeps its context, and its index goes on, wherever the packets go, as rtpengine keeps
 * its per-SSRC index and Asterisk its SRTP session across an address change; a receiver that
 * wants a fresh context gets a new key (RFC 4568 §7.1.4). Two outputs may share a key with a
 * context each (a phone's RTP and RTCP ports): the port, then the kinds, keep them apart, so
 * that RTP never takes over a context whose RTP index never moved.
 */
static int reusable_output(const struct dp_flow *old, const struct ponte_flow_output *o,
			   enum reuse_match match)
{
	for (unsigned j = 0; j < old->spec.nb_outputs; j++) {
		const struct ponte_flow_output *oj = &old->spec.outputs[j];

		if (old->os[j].ctx != NULL && !(old->given_away & (1u << j)) &&
		    same_key(&oj->srtp, &o->srtp) && is_match(oj, o, match))
			return (int)j;
	}
	return -1;
}

int dp_flow_build(const struct dp_srtp_engine *srtp, const struct ponte_flow_spec *spec,
		  struct dp_flow *old, struct dp_flow **out)
{
	struct dp_out_state *os;
	struct dp_flow *f;
	int rc = 0;

	if (spec->nb_outputs > PONTE_FLOW_MAX_OUTPUTS || spec->rtcp > PONTE_RTCP_TERMINATE)
		return -EINVAL;
	for (unsigned i = 0; i < spec->nb_outputs; i++)
		if (spec->outputs[i].nb_ssrc_maps > PONTE_FLOW_MAX_SSRC_MAPS)
			return -EINVAL;
	os = entry_alloc(flow_size(spec->nb_outputs));
	if (os == NULL)
		return -ENOMEM;
	f = (struct dp_flow *)(os + spec->nb_outputs);
	f->os = os;
	/* Only the outputs there are: the entry ends after them (struct dp_flow). */
	memcpy(&f->spec, spec,
	       offsetof(struct ponte_flow_spec, outputs) +
		   spec->nb_outputs * sizeof(struct ponte_flow_output));
	f->spec.report_cname[sizeof(f->spec.report_cname) - 1] = '\0';
	f->nb_outputs = spec->nb_outputs;
	f->rtcp = spec->rtcp;
	f->mirror_pt = spec->mirror_pt;
	f->is_mirror_only = spec->is_mirror_only;
	f->port_id = spec->port_id;
	f->is_latching = spec->src.family == 0 && spec->is_latching;
	f->report_out = DP_NO_REPORT_OUT;
	for (unsigned i = 0; i < spec->nb_outputs; i++) {
		if (spec->outputs[i].kinds & PONTE_OUT_RTP)
			f->rtp_outputs |= (uint16_t)(1u << i);
		if ((spec->outputs[i].kinds & PONTE_OUT_REPORTS) && f->report_out == DP_NO_REPORT_OUT)
			f->report_out = (uint8_t)i;
	}
	if (spec->srtp.profile != PONTE_SRTP_NULL) {
		if (old != NULL && old->in != NULL && same_key(&old->spec.srtp, &spec->srtp)) {
			f->in = old->in;
			old->given_away |= DP_GIVEN_IN;
		} else {
			rc = srtp->create(&spec->srtp, DP_SRTP_UNPROTECT, &f->in);
		}
	}
	for (unsigned i = 0; rc == 0 && i < spec->nb_outputs; i++) {
		const struct ponte_srtp_key *k = &spec->outputs[i].srtp;
		int j;

		if (k->profile == PONTE_SRTP_NULL)
			continue;
		/* Reuse the context of the closest old output with the same keys: one key, one
		 * packet index (reusable_output). */
		j = -1;
		for (int m = REUSE_SAME_DST; old != NULL && j < 0 && m <= REUSE_SAME_KINDS; m++)
			j = reusable_output(old, &spec->outputs[i], (enum reuse_match)m);
		if (j >= 0) {
			f->os[i].ctx = old->os[j].ctx;
			old->given_away |= 1u << j;
		} else {
			rc = srtp->create(k, DP_SRTP_PROTECT, &f->os[i].ctx);
		}
	}
	if (rc != 0) {
		/* Give back what was taken from old: it stays live in the dataplane. */
		if (old != NULL) {
			if (f->in == old->in)
				f->in = NULL;
			for (unsigned i = 0; i < PONTE_FLOW_MAX_OUTPUTS; i++)
				for (unsigned j = 0; j < PONTE_FLOW_MAX_OUTPUTS; j++)
					if (f->os[i].ctx != NULL && f->os[i].ctx == old->os[j].ctx)
						f->os[i].ctx = NULL;
			old->given_away = 0;
		}
		dp_flow_free(srtp, f);
		return rc;
	}
	*out = f;
	return 0;
}

void dp_flow_carry_over(struct dp_flow *nf, const struct dp_flow *old)
{
	nf->st = old->st;
	/* A new epoch: the source moved (a re-INVITE with another address), latch anew, but
	 * not at once to the source it leaves (input_one()). */
	if (nf->spec.src.family == 0 && nf->spec.is_latching &&
	    nf->spec.latch_epoch == old->spec.latch_epoch) {
		nf->latched = old->latched;
		nf->stale = old->stale;
		nf->stale_until_ns = old->stale_until_ns;
	} else if (nf->is_latching && old->latched.family != 0) {
		nf->stale = old->latched;
	} else if (nf->is_latching) {
		/* Moved again before the new source was heard: the source left the time before
		 * is still the one with packets on their way, and its guard, once started, runs
		 * on. */
		nf->stale = old->stale;
		nf->stale_until_ns = old->stale_until_ns;
	}
	nf->rx = old->rx;
	nf->next_report_ns = old->next_report_ns;
	/* An output's counts and stream follow it to the same receiver: one that keeps its
	 * destination, or, with SRTP, its context (the same key: a receiver that moved,
	 * dp_flow_build). That receiver goes on seeing one stream; under SRTP its sequence
	 * numbers must go on too, or the index the context derives from them would go back
	 * (libsrtp refuses to protect a packet whose index it already used). */
	for (unsigned i = 0; i < nf->spec.nb_outputs; i++) {
		int k = -1;

		for (unsigned j = 0; j < old->spec.nb_outputs && k < 0; j++)
			if (nf->os[i].ctx != NULL && nf->os[i].ctx == old->os[j].ctx)
				k = (int)j;
		for (unsigned j = 0; j < old->spec.nb_outputs && k < 0; j++)
			if (nf->spec.outputs[i].port_id == old->spec.outputs[j].port_id &&
			    ponte_addr_equal(&nf->spec.outputs[i].dst, &old->spec.outputs[j].dst))
				k = (int)j;
		if (k >= 0) {
			nf->os[i].tx = old->os[k].tx;
			nf->os[i].cont = old->os[k].cont;
		}
	}
}

/* Where output i of f sends: its latch flow's source once latched, else its dst. */
static const struct ponte_addr *dst_of(const struct dp_pipe *pp, struct dp_flow *f, unsigned i)
{
	const struct ponte_flow_output *o = &f->spec.outputs[i];

	if (o->dst_latch_flow != 0) {
		struct dp_latch_ref *r = &f->os[i].latch;
		const struct dp_flow *l;

		if (pp->epoch != NULL && r->epoch == *pp->epoch) {
			l = r->flow;
		} else {
			l = pp->flow_by_id(pp->be, o->dst_latch_flow, &r->hint);
			if (pp->epoch != NULL) {
				r->epoch = *pp->epoch;
				r->flow = l;
			}
		}
		if (l != NULL && l->latched.family != 0)
			return &l->latched;
	}
	return &o->dst;
}

/* Protect buf (len plain bytes) with output i's keys and send it; false when dropped. */
static bool emit(const struct dp_pipe *pp, struct dp_flow *f, unsigned i, uint8_t *buf, size_t len,
		 bool is_rtcp)
{
	const struct ponte_flow_output *o = &f->spec.outputs[i];
	int rc = 0;

	if (f->os[i].ctx != NULL)
		rc = is_rtcp ? pp->srtp->rtcp(f->os[i].ctx, buf, &len, DP_PIPE_BUF)
			     : pp->srtp->rtp(f->os[i].ctx, buf, &len, DP_PIPE_BUF);
	if (rc != 0 || !pp->tx(pp->be, o->port_id, dst_of(pp, f, i), len, &f->os[i].latch.nh)) {
		STAT_ADD(f->st.drops[PONTE_DROP_TX], 1);
		return false;
	}
	STAT_ADD(f->st.pkts_out, 1);
	STAT_ADD(f->st.bytes_out, len);
	return true;
}

/* The output of flow c that sends RTP under ssrc_any: i itself when it carries RTP, else one
 * of c's with the same ssrc_any (a phone's RTP and RTCP outputs apart, or the RTP flow of an
 * RTCP-only one: i is then ~0u). -1: none. */
static int any_output_of(const struct dp_flow *c, unsigned i, uint32_t ssrc_any)
{
	if (i < c->spec.nb_outputs && (c->spec.outputs[i].kinds & PONTE_OUT_RTP))
		return (int)i;
	for (unsigned j = 0; j < c->spec.nb_outputs; j++)
		if ((c->spec.outputs[j].kinds & PONTE_OUT_RTP) &&
		    c->spec.outputs[j].ssrc_any == ssrc_any)
			return (int)j;
	return -1;
}

/* Forwarded RTCP through output i: the SRs of the stream it sends as ssrc_any get that
 * stream's timestamp delta, like its RTP (RFC 3550 §6.4.1). Other SSRCs' SRs pass as they
 * are: terminate RTCP (PONTE_RTCP_TERMINATE) to have them left out. */
static void shift_forwarded_srs(const struct dp_pipe *pp, struct dp_flow *f, unsigned i,
				uint8_t *buf, size_t len)
{
	const struct ponte_flow_output *o = &f->spec.outputs[i];
	struct dp_flow *rf = f;
	const struct dp_rtp_cont *c;
	int j;

	if (o->ssrc_any == 0)
		return;
	if (f->spec.rtp_flow != 0 && (rf = pp->flow_by_id(pp->be, f->spec.rtp_flow, NULL)) == NULL)
		return;
	j = any_output_of(rf, rf == f ? i : ~0u, o->ssrc_any);
	if (j < 0)
		return;
	c = &rf->os[j].cont;
	if (c->has_stream && c->ts_delta != 0 && dp_ssrc_is_any(o, c->in_ssrc))
		dp_rtcp_shift_sr(buf, len, c->in_ssrc, c->ts_delta);
}

/* RTP through output i: with ssrc_any, one stream whatever the source's SSRC (rtp.h).
 * in_ssrc and pt: the packet's as it arrived, buf: the packet rewritten. False when it must
 * not be sent. */
static bool follow_stream(struct dp_flow *f, unsigned i, uint32_t in_ssrc, uint8_t pt,
			  uint8_t *buf, uint64_t now_ns)
{
	switch (dp_rtp_cont_apply(&f->os[i].cont, &f->spec.outputs[i], in_ssrc, buf,
				  1000u * f->spec.clock_khz[pt], now_ns)) {
	case DP_CONT_STALE:
		STAT_ADD(f->st.drops[PONTE_DROP_STALE], 1);
		return false;
	case DP_CONT_SWITCH:
		STAT_ADD(f->st.ssrc_switches, 1);
		return true;
	default:
		return true;
	}
}

/* Rewrite, protect and send one plain packet through output i of flow f, arrived at now_ns.
 * An injected packet goes through whatever kinds the output takes, and is no part of the
 * stream continuity: the control plane made it as it must go. */
static void send_through(const struct dp_pipe *pp, struct dp_flow *f, unsigned i,
			 const uint8_t *pkt, size_t len, bool is_rtcp, bool is_injected,
			 uint64_t now_ns)
{
	const struct ponte_flow_output *o = &f->spec.outputs[i];
	uint8_t *buf;

	if (!is_injected && !(o->kinds & (is_rtcp ? PONTE_OUT_RTCP : PONTE_OUT_RTP)))
		return;
	buf = pp->tx_buf(pp->be);
	memcpy(buf, pkt, len);
	if (is_rtcp) {
		if (!is_injected)
			shift_forwarded_srs(pp, f, i, buf, len);
		dp_rtcp_rewrite(buf, len, o);
	} else if (!dp_rtp_rewrite(buf, o)) {
		STAT_ADD(f->st.drops[PONTE_DROP_PT], 1);
		return;
	} else {
		if (!is_injected &&
		    !follow_stream(f, i, dp_rd32(pkt + 8), pkt[1] & 0x7f, buf, now_ns))
			return;
		if (f->spec.rtcp == PONTE_RTCP_TERMINATE)
			dp_tx_stats_rtp(&f->os[i].tx, buf, len);
	}
	emit(pp, f, i, buf, len, is_rtcp);
}

static bool tx_has(const struct dp_tx_stats *tx, uint32_t ssrc)
{
	for (unsigned k = 0; k < tx->nb; k++)
		if (tx->s[k].ssrc == ssrc)
			return true;
	return false;
}

/* The output of flow c whose counts of what it sent under ssrc make an SR, -1: none. Output
 * i's own when it carries RTP (relay: each receiver its own counts; nothing sent, no SR), else
 * any output's (a phone's RTP and RTCP outputs apart, or the RTP flow of an RTCP-only one: i
 * is then ~0u). */
static int counts_of(const struct dp_flow *c, unsigned i, uint32_t ssrc)
{
	if (i < c->spec.nb_outputs && (c->spec.outputs[i].kinds & PONTE_OUT_RTP))
		return tx_has(&c->os[i].tx, ssrc) ? (int)i : -1;
	for (unsigned j = 0; j < c->spec.nb_outputs; j++)
		if (tx_has(&c->os[j].tx, ssrc))
			return (int)j;
	return -1;
}

/* Terminated RTCP: per output, an SR of its own for each SR the sender sent, then what is
 * left of the compound (feedback, SDES, BYE), translated. */
static void terminate_rtcp(const struct dp_pipe *pp, struct dp_flow *f, uint8_t *pkt, size_t len,
			   uint64_t now_ns)
{
	struct dp_flow *rf = f->spec.rtp_flow != 0 ? pp->flow_by_id(pp->be, f->spec.rtp_flow, NULL) : f;
	struct dp_sr_info srs[MAX_SR_PER_COMPOUND];
	unsigned nb_sr = 0;
	size_t rest;

	if (rf == NULL)
		rf = f;
	rest = dp_rtcp_consume(pkt, len, &rf->rx, now_ns, srs, MAX_SR_PER_COMPOUND, &nb_sr);
	for (unsigned i = 0; i < f->spec.nb_outputs; i++) {
		const struct ponte_flow_output *o = &f->spec.outputs[i];
		uint8_t *buf;
		size_t off = 0;
		unsigned nb_built = 0;

		if (!(o->kinds & PONTE_OUT_RTCP))
			continue;
		buf = pp->tx_buf(pp->be);
		for (unsigned k = 0; k < nb_sr; k++) {
			uint32_t delta = 0;
			uint32_t ssrc = dp_ssrc_out(o, srs[k].ssrc, &delta);
			int j = counts_of(rf, rf == f ? i : ~0u, ssrc);
			const struct dp_tx_stats *tx = j >= 0 ? &rf->os[j].tx : NULL;
			size_t n = 0;

			/* A stream sent as ssrc_any is shifted by the continuity of the output that
			 * sent it; an SR of a stream that output replaced describes a timeline its
			 * receiver no longer sees, and makes no SR. */
			if (tx != NULL && dp_ssrc_is_any(o, srs[k].ssrc) &&
			    !dp_rtp_cont_ts_delta(&rf->os[j].cont, srs[k].ssrc, &delta))
				tx = NULL;
			if (tx != NULL)
				n = dp_rtcp_build_sr(tx, ssrc, srs[k].ntp, srs[k].rtp_ts + delta,
						     buf + off, DP_PIPE_PKT_MAX - off);
			nb_built += n > 0;
			off += n;
		}
		if (rest > 0 && off + rest <= DP_PIPE_PKT_MAX) {
			memcpy(buf + off, pkt, rest);
			dp_rtcp_rewrite(buf + off, rest, o);
			off += rest;
		}
		if (off > 0 && emit(pp, f, i, buf, off, true))
			STAT_ADD(f->st.srs_out, nb_built);
	}
}

/* Whether f (RTCP terminated) has a receiver report due at now_ns. */
static bool is_report_due(const struct dp_flow *f, uint64_t now_ns)
{
	return f->rtcp == PONTE_RTCP_TERMINATE && now_ns >= f->next_report_ns;
}

/* Whether f has a report due at now_ns that goes out of one of its outputs. */
static bool has_report_due(const struct dp_flow *f, uint64_t now_ns)
{
	return is_report_due(f, now_ns) && f->report_out != DP_NO_REPORT_OUT;
}

/* When f's next report is due: in [0.75, 1.25) of its interval (ponte_flow_spec.
 * report_interval_ms), drawn anew each time from the clock and the flow's id (splitmix64's
 * finaliser). Until its first one went out (a new stream is in probation, RFC 3550 A.1:
 * nothing to report at its first packet), about every second however long the interval: the
 * sender gets its first round trip early (RFC 3550 §6.2 sends the first report sooner too). */
static void report_schedule(struct dp_flow *f, uint64_t now_ns)
{
	uint64_t mean = f->spec.report_interval_ms != 0 ? f->spec.report_interval_ms
							: PONTE_REPORT_MS_VIDEO;
	uint64_t x = now_ns ^ (f->spec.id * 0x9e3779b97f4a7c15ull);

	if (f->st.reports_out == 0 && mean > PONTE_REPORT_MS_VIDEO)
		mean = PONTE_REPORT_MS_VIDEO;
	mean *= 1000000ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	f->next_report_ns = now_ns + mean / 4 * 3 + x % (mean / 2);
}

/* The report due now: the next one's time set, and the output it goes out of
 * (DP_NO_REPORT_OUT: none, nothing to build). */
static unsigned report_start(struct dp_flow *f, uint64_t now_ns)
{
	report_schedule(f, now_ns);
	return f->report_out;
}

/* A report of f went out: counted; after the first, the next one a whole interval later. */
static void report_sent(struct dp_flow *f, uint64_t now_ns)
{
	bool is_first = f->st.reports_out == 0;

	STAT_ADD(f->st.reports_out, 1);
	if (is_first)
		report_schedule(f, now_ns);
}

/* Our receiver report about f's streams into buf (DP_PIPE_BUF bytes): its length, 0 when
 * there is nothing to report. Not rewritten: the report names the sender's own SSRCs. */
static size_t report_build(struct dp_flow *f, uint8_t *buf, uint64_t now_ns)
{
	return dp_rtcp_build_rr(&f->rx, f->spec.report_ssrc,
				f->spec.report_cname[0] ? f->spec.report_cname : NULL, now_ns, buf,
				DP_PIPE_PKT_MAX);
}

/* Our receiver report about f's streams, back to their sender, when one is due. */
static void maybe_report(const struct dp_pipe *pp, struct dp_flow *f, uint64_t now_ns)
{
	unsigned i;
	uint8_t *buf;
	size_t len;

	if (now_ns < f->next_report_ns)
		return;
	i = report_start(f, now_ns);
	if (i == DP_NO_REPORT_OUT)
		return;
	buf = pp->tx_buf(pp->be);
	len = report_build(f, buf, now_ns);
	if (len > 0 && emit(pp, f, i, buf, len, true))
		report_sent(f, now_ns);
}

static int drop_reason(int rc)
{
	switch (rc) {
	case -EBADMSG:
		return PONTE_DROP_AUTH;
	case -EALREADY:
		return PONTE_DROP_REPLAY;
	default:
		return PONTE_DROP_MALFORMED;
	}
}

/* dp_pipe_input(): DP_PIPE_TAKEN, or why the packet was dropped on input. */
static int input_one(const struct dp_pipe *pp, struct dp_flow *f, const struct ponte_addr *src,
		     bool is_rtcp, uint8_t *pkt, size_t len, uint64_t now_ns)
{
	int rc = 0;
	bool is_latching = f->is_latching;
	bool is_mirrored;

	if (is_latching && f->latched.family != 0 && !ponte_addr_equal(&f->latched, src)) {
		STAT_ADD(f->st.drops[PONTE_DROP_SOURCE], 1);
		return PONTE_DROP_SOURCE;
	}
	/* After a move, the source left may still have packets on their way: a phone that
	 * echoes, or answers, what was sent to it until the flows changed. Latching to one of
	 * those would send everything back there, and never to the new address. That source
	 * latches again only DP_LATCH_STALE_NS after it is first heard in the new epoch (a NAT
	 * that keeps the source when the SDP address changes costs that much audio). */
	if (is_latching && f->latched.family == 0 && f->stale.family != 0 &&
	    ponte_addr_equal(&f->stale, src)) {
		if (f->stale_until_ns == 0)
			f->stale_until_ns = now_ns + DP_LATCH_STALE_NS;
		if (now_ns < f->stale_until_ns) {
			STAT_ADD(f->st.drops[PONTE_DROP_SOURCE], 1);
			return PONTE_DROP_SOURCE;
		}
	}
	if (f->in != NULL)
		rc = is_rtcp ? pp->srtp->rtcp(f->in, pkt, &len, DP_PIPE_BUF)
			     : pp->srtp->rtp(f->in, pkt, &len, DP_PIPE_BUF);
	if (rc == 0 && !(is_rtcp ? dp_rtcp_is_valid(pkt, len) : dp_rtp_is_valid(pkt, len)))
		rc = -EINVAL;
	if (rc != 0) {
		STAT_ADD(f->st.drops[drop_reason(rc)], 1);
		return drop_reason(rc);
	}
	/* Latch only to a source whose packet passed: one forged SRTP packet cannot take the
	 * flow over (with plain RTP, any well-formed packet still can: as in RFC 4961 §4). */
	if (is_latching && f->latched.family == 0)
		f->latched = *src;
	STAT_ADD(*(is_rtcp ? &f->st.rtcp_in : &f->st.rtp_in), 1);
	STAT_ADD(f->st.bytes_in, len);
	__atomic_store_n(&f->st.last_in_ns, now_ns, __ATOMIC_RELAXED);
	if (is_rtcp) {
		if (f->spec.rtcp == PONTE_RTCP_TERMINATE)
			terminate_rtcp(pp, f, pkt, len, now_ns);
		else if (f->spec.rtcp == PONTE_RTCP_FORWARD)
			for (unsigned i = 0; i < f->spec.nb_outputs; i++)
				send_through(pp, f, i, pkt, len, true, false, now_ns);
		return DP_PIPE_TAKEN;
	}
	is_mirrored = (pkt[1] & 0x7f) == f->spec.mirror_pt;
	if (is_mirrored && pp->mirror != NULL)
		pp->mirror(pp->be, f, src, pkt, len);
	if (f->spec.rtcp == PONTE_RTCP_TERMINATE)
		dp_rx_stats_rtp(&f->rx, pkt, len, now_ns,
				1000u * f->spec.clock_khz[pkt[1] & 0x7f]);
	/* Consumed by the control plane: part of the sender's stream (its statistics above),
	 * but no output's. */
	for (unsigned i = 0; i < f->spec.nb_outputs && !(is_mirrored && f->spec.is_mirror_only);
	     i++)
		send_through(pp, f, i, pkt, len, false, false, now_ns);
	if (f->spec.rtcp == PONTE_RTCP_TERMINATE)
		maybe_report(pp, f, now_ns);
	return DP_PIPE_TAKEN;
}

void dp_pipe_input(const struct dp_pipe *pp, struct dp_flow *f, const struct ponte_addr *src,
		   bool is_rtcp, uint8_t *pkt, size_t len, uint64_t now_ns)
{
	(void)input_one(pp, f, src, is_rtcp, pkt, len, now_ns);
}

/* ---- bursts ----
 *
 * A burst is cut into batches of RTP packets, each run in four passes: the source checks and
 * one SRTP unprotect burst; in packet order, the checks, counters, receiver statistics and
 * each output's rewrite and stream continuity, into buffers of their own; one SRTP protect
 * burst over all the outputs, in the order dp_pipe_input() would have protected them; the
 * copies to the control plane (mirror) and the sends, in packet order. That gives
 * dp_pipe_input()'s results because nothing a packet of a batch changes is read by another
 * packet of the batch before the pass that changes it:
 * dp_srtp_rtp_burst() equals rtp() in array order; the receiver statistics, counters and
 * stream continuity of an output are changed in packet order; what a packet changes elsewhere
 * never comes from a batched packet: the latched source (the first packet of a latching flow
 * goes alone), RTCP (always alone). A packet that goes alone first finishes the batch before
 * it, so the order of everything stays that of the burst.
 *
 * A receiver report that falls due on a batched packet is built in the second pass right
 * after that packet's receiver statistics (what the report says and the next interval it
 * starts are those of dp_pipe_input(): later packets of the flow in the batch count after it),
 * SRTCP-protected after the RTP protect burst, and sent in the last pass right after its
 * packet's outputs, as maybe_report() sends it. The SRTCP index it takes is its context's
 * own, which no other packet of a batch touches: a context protects one output's packets,
 * and the one flow whose report output also takes RTP (the same context, its SSRC table
 * shared by SRTP and SRTCP) sends such a packet alone.
 */

void dp_flow_prefetch(const struct dp_flow *f, uint8_t pt)
{
	/* The head (struct dp_flow): the counters' line, the receiver statistics' (their
	 * first stream), the clock of pt. */
	__builtin_prefetch((const uint8_t *)f + LINE);
	if (f->rtcp == PONTE_RTCP_TERMINATE)
		__builtin_prefetch(&f->rx);
	__builtin_prefetch(&f->spec.clock_khz[pt]);
	if (f->in != NULL)
		for (unsigned k = 0; k < 5; k++)
			__builtin_prefetch((const uint8_t *)f->in + k * LINE);
	for (uint32_t rtp = f->rtp_outputs; rtp != 0; rtp &= rtp - 1) {
		unsigned i = (unsigned)__builtin_ctz(rtp);
		const struct ponte_flow_output *o = &f->spec.outputs[i];
		const struct dp_out_state *os = &f->os[i];

		/* Where the rewrite and the send read: the output's first line (port,
		 * destination, kinds, ssrc_any, dst_latch_flow and the static types' pt_map),
		 * pt's entry of the map, the SSRC maps when it has any; its state's lines (its
		 * context's: prefetch_latch_flows(), once they are here). */
		__builtin_prefetch(o);
		__builtin_prefetch(&o->pt_map[pt]);
		if (o->nb_ssrc_maps > 0)
			__builtin_prefetch(&o->ssrc_maps[0]);
		__builtin_prefetch(&os->latch);
		__builtin_prefetch(&os->cont);
		if (f->rtcp == PONTE_RTCP_TERMINATE)
			__builtin_prefetch(&os->tx);
	}
}

/* What a receiver report due on a batched packet of f reads that the packet does not: the
 * spec's id, reporter SSRC and CNAME, the report output's port, destination and latch cache,
 * and its context (its head, then, as the ipsec-mb engine lays an AES-CM context out, the
 * SRTCP keys and state after the SRTP keys: lines 5 to 9). With 200,000 flows each is a miss
 * of its own, and a report was then dearer than the packet it rides on. */
static void prefetch_report(const struct dp_flow *f)
{
	const struct ponte_flow_output *o = &f->spec.outputs[f->report_out];

	__builtin_prefetch(&f->spec.id);
	__builtin_prefetch(&f->spec.report_ssrc);
	__builtin_prefetch(&f->spec.report_cname[sizeof(f->spec.report_cname) - 1]);
	__builtin_prefetch(o);
	__builtin_prefetch(&o->dst_latch_flow);
	__builtin_prefetch(&f->os[f->report_out].latch);
}

/* What dst_of() will read for output reference r: the head of the flow whose latched source
 * it sends to, as far as the cache knows it, and once the backend's epoch moved, what the
 * backend's hint for finding it again points to (most often to the same entry still: a
 * prefetch of one that is gone does no harm). */
static void prefetch_latch(const struct dp_pipe *pp, const struct dp_latch_ref *r)
{
	if (r->flow != NULL)
		__builtin_prefetch(&r->flow->latched);
	if ((pp->epoch == NULL || r->epoch != *pp->epoch) && r->hint != NULL)
		__builtin_prefetch(r->hint);
}

/* What f's RTP outputs (and, with has_report, its report output) read to find where they
 * send (prefetch_latch()), their SRTP contexts (an AES-CM context's SRTP keys in lines 0 to 4,
 * its SRTCP keys and state in 5 to 9, as the ipsec-mb engine lays them out), and what the
 * backend reads of the ports they are sent from. Run once dp_flow_prefetch() and
 * prefetch_report() asked for the outputs' lines: these addresses are in them. */
static void prefetch_latch_flows(const struct dp_pipe *pp, const struct dp_flow *f,
				 bool has_report)
{
	if (has_report) {
		unsigned i = f->report_out;
		const uint8_t *c = (const uint8_t *)f->os[i].ctx;

		if (pp->prefetch_port != NULL)
			pp->prefetch_port(pp->be, f->spec.outputs[i].port_id);
		prefetch_latch(pp, &f->os[i].latch);
		if (c != NULL) {
			__builtin_prefetch(c);
			for (unsigned k = 5; k < 10; k++)
				__builtin_prefetch(c + k * LINE);
		}
	}
	for (uint32_t rtp = f->rtp_outputs; rtp != 0; rtp &= rtp - 1) {
		unsigned i = (unsigned)__builtin_ctz(rtp);
		const uint8_t *c = (const uint8_t *)f->os[i].ctx;

		if (pp->prefetch_port != NULL)
			pp->prefetch_port(pp->be, f->spec.outputs[i].port_id);
		prefetch_latch(pp, &f->os[i].latch);
		if (c != NULL)
			for (unsigned k = 0; k < 5; k++)
				__builtin_prefetch(c + k * LINE);
	}
}

/* A packet that must not be batched: see above. */
static bool is_alone(const struct dp_pipe_pkt *p, uint64_t now_ns)
{
	const struct dp_flow *f = p->f;

	return p->is_rtcp || (f->is_latching && f->latched.family == 0) ||
	       (has_report_due(f, now_ns) && (f->rtp_outputs >> f->report_out & 1u));
}

static void one(const struct dp_pipe *pp, struct dp_pipe_pkt *p, uint64_t now_ns)
{
	int verdict;

	if (pp->begin != NULL)
		pp->begin(pp->be, p->ctx);
	verdict = input_one(pp, p->f, p->src, p->is_rtcp, p->pkt, p->len, now_ns);
	if (pp->end != NULL)
		pp->end(pp->be, p->ctx, verdict);
}

/* An output packet of a batch (k: its index in the batch's arrays). */
struct batch_out {
	uint8_t pi; /* the packet it came from, in the batch */
	uint8_t i;  /* the output */
	uint8_t b;  /* the tx_bufs() buffer it is in, BUF_OWN: the packet's own (tx_own) */
};

#define BUF_OWN 0xff
_Static_assert(DP_PIPE_BURST_OUT < BUF_OWN, "batch_out.b holds a buffer's index");

/* A receiver report a batch sends: after packet pi's outputs, through output i, from
 * tx_bufs() buffer b; len bytes, then the SRTCP protect's rc. At most one per packet. */
struct batch_rep {
	uint8_t pi, i, b;
	int rc;
	size_t len;
};

/* Whether packet p of a batch is forwarded in its own buffer (struct dp_pipe.tx_own): one
 * output takes its RTP, and nothing else reads the packet after that output's rewrite (a
 * mirrored packet is handed to the control plane as it arrived). The payload type is in the
 * clear in SRTP too. */
static bool is_own(const struct dp_pipe *pp, const struct dp_pipe_pkt *p)
{
	const struct dp_flow *f = p->f;

	return pp->tx_own != NULL && p->len >= DP_RTP_MIN_LEN && f->rtp_outputs != 0 &&
	       (f->rtp_outputs & (f->rtp_outputs - 1)) == 0 && (p->pkt[1] & 0x7f) != f->mirror_pt;
}

/* The batch of packets pkts[idx[0..nb)], whose flows have at most DP_PIPE_BURST_OUT outputs
 * that take RTP and reports due in all, nb_need of them needing a buffer (own[j]: packet j is
 * forwarded in place, see is_own()). */
static void run_batch(const struct dp_pipe *pp, struct dp_pipe_pkt *pkts, const unsigned *idx,
		      const bool *own, unsigned nb, unsigned nb_need, uint64_t now_ns)
{
	uint8_t *fresh[DP_PIPE_BURST_OUT], *bufs[DP_PIPE_BURST_OUT];
	struct batch_out outs[DP_PIPE_BURST_OUT];
	size_t out_len[DP_PIPE_BURST_OUT];
	int out_rc[DP_PIPE_BURST_OUT];
	int verdict[DP_PIPE_BURST_PKTS];
	size_t len[DP_PIPE_BURST_PKTS];
	bool is_mirrored[DP_PIPE_BURST_PKTS];
	struct batch_rep reps[DP_PIPE_BURST_PKTS];
	unsigned nb_rep = 0;
	/* The arguments of one SRTP burst, unprotect then protect. */
	struct dp_srtp *ctx[DP_PIPE_BURST_OUT];
	uint8_t *bp[DP_PIPE_BURST_OUT];
	size_t blen[DP_PIPE_BURST_OUT], cap[DP_PIPE_BURST_OUT];
	int rc[DP_PIPE_BURST_OUT];
	unsigned of[DP_PIPE_BURST_OUT];
	unsigned nb_s = 0, nb_out = 0, nb_fresh = 0;

	_Static_assert(DP_PIPE_BURST_PKTS <= DP_PIPE_BURST_OUT, "an unprotect burst fits");
	_Static_assert(DP_PIPE_BURST_PKTS <= 256, "batch_out.pi holds a packet's index");
	if (nb_need > 0 && pp->tx_bufs(pp->be, fresh, nb_need) < nb_need) {
		/* Short of buffers: nothing is done yet, so one at a time is the same. */
		for (unsigned j = 0; j < nb; j++)
			one(pp, &pkts[idx[j]], now_ns);
		return;
	}
	/* Source checks, then one unprotect. */
	for (unsigned j = 0; j < nb; j++) {
		const struct dp_pipe_pkt *p = &pkts[idx[j]];
		struct dp_flow *f = p->f;

		verdict[j] = DP_PIPE_TAKEN;
		len[j] = p->len;
		if (f->is_latching && !ponte_addr_equal(&f->latched, p->src)) {
			STAT_ADD(f->st.drops[PONTE_DROP_SOURCE], 1);
			verdict[j] = PONTE_DROP_SOURCE;
			continue;
		}
		if (f->in == NULL)
			continue;
		ctx[nb_s] = f->in;
		bp[nb_s] = p->pkt;
		blen[nb_s] = p->len;
		cap[nb_s] = DP_PIPE_BUF;
		of[nb_s++] = j;
	}
	if (nb_s > 0)
		dp_srtp_rtp_burst(ctx, bp, blen, cap, nb_s, rc);
	for (unsigned m = 0; m < nb_s; m++) {
		unsigned j = of[m];

		if (rc[m] == 0) {
			len[j] = blen[m];
			continue;
		}
		verdict[j] = drop_reason(rc[m]);
		STAT_ADD(pkts[idx[j]].f->st.drops[verdict[j]], 1);
	}
	/* In packet order: checks, counters, statistics, and each output's copy rewritten. */
	for (unsigned j = 0; j < nb; j++) {
		const struct dp_pipe_pkt *p = &pkts[idx[j]];
		struct dp_flow *f = p->f;
		const uint8_t *pkt = p->pkt;

		is_mirrored[j] = false;
		if (verdict[j] != DP_PIPE_TAKEN)
			continue;
		if (!dp_rtp_is_valid(pkt, len[j])) {
			STAT_ADD(f->st.drops[PONTE_DROP_MALFORMED], 1);
			verdict[j] = PONTE_DROP_MALFORMED;
			continue;
		}
		STAT_ADD(f->st.rtp_in, 1);
		STAT_ADD(f->st.bytes_in, len[j]);
		__atomic_store_n(&f->st.last_in_ns, now_ns, __ATOMIC_RELAXED);
		is_mirrored[j] = (pkt[1] & 0x7f) == f->mirror_pt;
		if (f->rtcp == PONTE_RTCP_TERMINATE)
			dp_rx_stats_rtp(&f->rx, pkt, len[j], now_ns,
					1000u * f->spec.clock_khz[pkt[1] & 0x7f]);
		/* maybe_report() up to the protect: the report reads only the receiver
		 * statistics, which this packet's outputs do not touch. */
		if (is_report_due(f, now_ns)) {
			unsigned i = report_start(f, now_ns);
			size_t n;

			if (i != DP_NO_REPORT_OUT &&
			    (n = report_build(f, fresh[nb_fresh], now_ns)) > 0)
				reps[nb_rep++] = (struct batch_rep){
				    .pi = (uint8_t)j, .i = (uint8_t)i, .b = (uint8_t)nb_fresh++,
				    .len = n};
		}
		if (is_mirrored[j] && f->is_mirror_only)
			continue;
		/* send_through() up to the protect, for the outputs that take RTP, in order; a
		 * buffer whose packet is not sent is the next output's, as tx_buf()'s is. A packet
		 * forwarded in place is its one output's buffer: what the stream continuity needs
		 * of it as it arrived is read before the rewrite. */
		uint32_t in_ssrc = dp_rd32(pkt + 8);
		uint8_t pt = pkt[1] & 0x7f;

		for (uint32_t rtp = f->rtp_outputs; rtp != 0; rtp &= rtp - 1) {
			unsigned i = (unsigned)__builtin_ctz(rtp);
			const struct ponte_flow_output *o = &f->spec.outputs[i];
			uint8_t *buf = own[j] ? p->pkt : fresh[nb_fresh];

			if (!own[j])
				memcpy(buf, pkt, len[j]);
			if (!dp_rtp_rewrite(buf, o)) {
				STAT_ADD(f->st.drops[PONTE_DROP_PT], 1);
				continue;
			}
			if (!follow_stream(f, i, in_ssrc, pt, buf, now_ns))
				continue;
			if (f->rtcp == PONTE_RTCP_TERMINATE)
				dp_tx_stats_rtp(&f->os[i].tx, buf, len[j]);
			bufs[nb_out] = buf;
			outs[nb_out] = (struct batch_out){
			    .pi = (uint8_t)j, .i = (uint8_t)i, .b = own[j] ? BUF_OWN : nb_fresh++};
			out_len[nb_out] = len[j];
			out_rc[nb_out++] = 0;
		}
	}
	/* One protect, in the order emit() would have protected them. */
	nb_s = 0;
	for (unsigned k = 0; k < nb_out; k++) {
		struct dp_flow *f = pkts[idx[outs[k].pi]].f;

		if (f->os[outs[k].i].ctx == NULL)
			continue;
		ctx[nb_s] = f->os[outs[k].i].ctx;
		bp[nb_s] = bufs[k];
		blen[nb_s] = out_len[k];
		cap[nb_s] = DP_PIPE_BUF;
		of[nb_s++] = k;
	}
	if (nb_s > 0)
		dp_srtp_rtp_burst(ctx, bp, blen, cap, nb_s, rc);
	for (unsigned m = 0; m < nb_s; m++) {
		out_rc[of[m]] = rc[m];
		if (rc[m] == 0)
			out_len[of[m]] = blen[m];
	}
	/* The reports' SRTCP, one at a time: the engines have no RTCP burst. */
	for (unsigned r = 0; r < nb_rep; r++) {
		struct dp_flow *f = pkts[idx[reps[r].pi]].f;
		struct dp_srtp *c = f->os[reps[r].i].ctx;

		reps[r].rc = c != NULL ? pp->srtp->rtcp(c, fresh[reps[r].b], &reps[r].len,
							 DP_PIPE_BUF)
				       : 0;
	}
	/* Packet by packet: the copy to the control plane, then the sends (emit() from the
	 * protect on), then its report. The packet is still plain: the outputs were copies. */
	for (unsigned j = 0, k = 0, r = 0; j < nb; j++) {
		struct dp_pipe_pkt *p = &pkts[idx[j]];
		struct dp_flow *f = p->f;

		if (pp->begin != NULL)
			pp->begin(pp->be, p->ctx);
		if (is_mirrored[j] && pp->mirror != NULL)
			pp->mirror(pp->be, f, p->src, p->pkt, len[j]);
		for (; k < nb_out && outs[k].pi == j; k++) {
			const struct ponte_flow_output *o = &f->spec.outputs[outs[k].i];
			const struct ponte_addr *dst;
			bool is_sent = false;

			if (out_rc[k] == 0) {
				dst = dst_of(pp, f, outs[k].i);
				struct dp_nh_cache *nh = &f->os[outs[k].i].latch.nh;

				is_sent = outs[k].b == BUF_OWN
					      ? pp->tx_own(pp->be, p->ctx, o->port_id, dst, out_len[k],
							   nh)
					      : pp->tx_buf_send(pp->be, outs[k].b, o->port_id, dst,
								out_len[k], nh);
			}
			if (!is_sent) {
				STAT_ADD(f->st.drops[PONTE_DROP_TX], 1);
				continue;
			}
			STAT_ADD(f->st.pkts_out, 1);
			STAT_ADD(f->st.bytes_out, out_len[k]);
		}
		for (; r < nb_rep && reps[r].pi == j; r++) {
			const struct ponte_flow_output *o = &f->spec.outputs[reps[r].i];

			if (reps[r].rc != 0 ||
			    !pp->tx_buf_send(pp->be, reps[r].b, o->port_id,
					     dst_of(pp, f, reps[r].i), reps[r].len,
					     &f->os[reps[r].i].latch.nh)) {
				STAT_ADD(f->st.drops[PONTE_DROP_TX], 1);
				continue;
			}
			STAT_ADD(f->st.pkts_out, 1);
			STAT_ADD(f->st.bytes_out, reps[r].len);
			report_sent(f, now_ns);
		}
		if (pp->end != NULL)
			pp->end(pp->be, p->ctx, verdict[j]);
	}
}

void dp_pipe_input_burst(const struct dp_pipe *pp, struct dp_pipe_pkt *pkts, unsigned nb,
			 uint64_t now_ns)
{
	unsigned idx[DP_PIPE_BURST_PKTS];
	bool own[DP_PIPE_BURST_PKTS];
	/* A batch's packets, its outputs and reports due (at most DP_PIPE_BURST_OUT, run_batch()'s
	 * arrays), and of those the ones that need a buffer from tx_bufs(). */
	unsigned nb_batch = 0, nb_outs = 0, nb_need = 0;

	/* The lines every packet will read, all asked for at once: at 200,000 flows they come
	 * from DRAM, and one after another they would cost more than the crypto. */
	for (unsigned j = 0; j < nb; j++)
		__builtin_prefetch(pkts[j].f);
	for (unsigned j = 0; j < nb; j++) {
		const struct dp_flow *f = pkts[j].f;

		dp_flow_prefetch(f, pkts[j].pkt[1] & 0x7f);
		if (has_report_due(f, now_ns))
			prefetch_report(f);
	}
	for (unsigned j = 0; j < nb; j++)
		prefetch_latch_flows(pp, pkts[j].f, has_report_due(pkts[j].f, now_ns));
	for (unsigned j = 0; j < nb; j++) {
		struct dp_pipe_pkt *p = &pkts[j];
		/* run_batch() takes a buffer per output that takes RTP, but for a packet
		 * forwarded in place. */
		bool is_own_buf = is_own(pp, p);
		/* A report due takes a buffer (if the flow had another packet before this one in
		 * the batch, that one's report will have used it, and this one's stays unused). */
		unsigned rep = has_report_due(p->f, now_ns);
		unsigned outs = (unsigned)__builtin_popcount(p->f->rtp_outputs) + rep;
		unsigned need = is_own_buf ? rep : outs;

		if (pp->tx_bufs == NULL || is_alone(p, now_ns)) {
			if (nb_batch > 0)
				run_batch(pp, pkts, idx, own, nb_batch, nb_need, now_ns);
			nb_batch = nb_outs = nb_need = 0;
			one(pp, p, now_ns);
			continue;
		}
		if (nb_batch == DP_PIPE_BURST_PKTS || nb_outs + outs > DP_PIPE_BURST_OUT) {
			run_batch(pp, pkts, idx, own, nb_batch, nb_need, now_ns);
			nb_batch = nb_outs = nb_need = 0;
		}
		own[nb_batch] = is_own_buf;
		idx[nb_batch++] = j;
		nb_outs += outs;
		nb_need += need;
	}
	if (nb_batch > 0)
		run_batch(pp, pkts, idx, own, nb_batch, nb_need, now_ns);
}

void dp_pipe_inject(const struct dp_pipe *pp, struct dp_flow *f, unsigned i, const uint8_t *pkt,
		    size_t len)
{
	if (i < f->spec.nb_outputs && len <= DP_PIPE_PKT_MAX)
		send_through(pp, f, i, pkt, len,
			     ponte_demux_classify(pkt, len) == PONTE_PKT_RTCP, true, 0);
}
