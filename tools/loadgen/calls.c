/* SPDX-License-Identifier: MIT */
/*
 * The simulated calls: each leg's peer sends RTP (and now and then an RTCP SR) under the keys
 * and numbers the plan derives, and checks what the gateway sends it: SRTP/SRTCP
 * authentication with the derived keys, then the header (payload type, the SSRC the gateway
 * announces, sequence number and timestamp) and the payload (plan.h) of the other leg's
 * packet it must be. Crypto goes through the dataplane's own SRTP engine interface
 * (dataplane/srtp.h), libsrtp2 unless told otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lg.h"
#include "srtp.h"

struct tx_state {
	struct dp_srtp *ctx; /* protect, the leg's up key; NULL for a plain leg */
	uint64_t next_pkt;
	uint64_t nb_sent; /* RTP packets sent, the receiver's expectation */
	uint64_t octets; /* payload octets sent, for SRs */
};

struct rx_state {
	struct dp_srtp *ctx; /* unprotect, the leg's down key (echo: its up key) */
	uint64_t received; /* distinct packets */
	uint64_t max_pkt;
	uint64_t window; /* bit d: max_pkt - d was received */
	bool has_any;
};

struct lg_calls {
	struct dpb_plan plan;
	const struct dp_srtp_engine *eng;
	size_t payload_len;
	bool is_echo;
	unsigned verify_every;
	struct tx_state *tx; /* [call * 2 + leg] */
	struct rx_state *rx;
	struct lg_counts cnt;
	struct lg_hist lat;
};

static unsigned idx(uint32_t call, enum dpb_leg leg)
{
	return call * 2u + (unsigned)leg;
}

static enum dpb_stream up_stream(enum dpb_leg leg)
{
	return leg == DPB_LEG_A ? DPB_S_A_UP : DPB_S_B_UP;
}

static int make_ctx(struct lg_calls *lc, uint32_t call, enum dpb_stream s, enum dp_srtp_dir dir,
		    struct dp_srtp **out)
{
	struct ponte_srtp_key key;
	int rc;

	*out = NULL;
	dpb_key(&lc->plan, call, s, &key);
	if (key.profile == PONTE_SRTP_NULL)
		return 0;
	rc = lc->eng->create(&key, dir, out);
	explicit_bzero(&key, sizeof(key));
	return rc;
}

int lg_calls_create(const struct dpb_plan *p, const char *srtp_engine, size_t payload_len,
		    bool is_echo, unsigned verify_every, struct lg_calls **out)
{
	struct lg_calls *lc;
	int rc;

	if (payload_len < DPB_PAYLOAD_MIN || payload_len > LG_BUF - 64)
		return -EINVAL;
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return -ENOMEM;
	lc->plan = *p;
	lc->payload_len = payload_len;
	lc->is_echo = is_echo;
	lc->verify_every = verify_every > 0 ? verify_every : 1;
	lc->eng = srtp_engine != NULL ? dp_srtp_engine_find(srtp_engine)
				      : dp_srtp_engine_default();
	rc = -ENOENT;
	if (lc->eng == NULL)
		goto fail;
	rc = lc->eng->init();
	if (rc != 0)
		goto fail;
	rc = dp_srtp_thread_init(lc->eng);
	if (rc != 0)
		goto fail;
	rc = -ENOMEM;
	lc->tx = calloc((size_t)p->nb_calls * 2, sizeof(*lc->tx));
	lc->rx = calloc((size_t)p->nb_calls * 2, sizeof(*lc->rx));
	if (lc->tx == NULL || lc->rx == NULL)
		goto fail;
	for (uint32_t c = 0; c < p->nb_calls; c++) {
		for (int l = 0; l < DPB_NB_LEGS; l++) {
			enum dpb_leg leg = (enum dpb_leg)l;
			enum dpb_stream down = leg == DPB_LEG_A ? DPB_S_A_DOWN : DPB_S_B_DOWN;

			rc = make_ctx(lc, c, up_stream(leg), DP_SRTP_PROTECT, &lc->tx[idx(c, leg)].ctx);
			if (rc == 0)
				rc = make_ctx(lc, c, is_echo ? up_stream(leg) : down,
					      DP_SRTP_UNPROTECT, &lc->rx[idx(c, leg)].ctx);
			if (rc != 0)
				goto fail;
		}
	}
	*out = lc;
	return 0;
fail:
	lg_calls_destroy(lc);
	return rc;
}

void lg_calls_destroy(struct lg_calls *lc)
{
	if (lc == NULL)
		return;
	for (uint32_t i = 0; lc->tx != NULL && i < lc->plan.nb_calls * 2; i++)
		dp_srtp_destroy(lc->tx[i].ctx);
	for (uint32_t i = 0; lc->rx != NULL && i < lc->plan.nb_calls * 2; i++)
		dp_srtp_destroy(lc->rx[i].ctx);
	free(lc->tx);
	free(lc->rx);
	free(lc);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Our endpoint for a port kind: in relay mode RTCP is multiplexed on leg B's one port. */
static uint8_t ep_of(const struct dpb_plan *p, enum dpb_port which)
{
	if (which == DPB_P_B_RTCP && p->mode == DPB_RELAY)
		return DPB_P_B;
	return (uint8_t)which;
}

static int protect(struct lg_calls *lc, struct dp_srtp *ctx, bool is_rtcp, struct lg_pkt *pkt)
{
	size_t len = pkt->len;
	int rc;

	if (ctx == NULL)
		return 0;
	rc = is_rtcp ? dp_srtp_rtcp(ctx, pkt->data, &len, LG_BUF)
		     : dp_srtp_rtp(ctx, pkt->data, &len, LG_BUF);
	if (rc != 0) {
		lc->cnt.protect_errors++;
		return rc;
	}
	pkt->len = (uint16_t)len;
	return 0;
}

int lg_calls_build_rtp(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, struct lg_pkt *pkt)
{
	const struct dpb_plan *p = &lc->plan;
	struct tx_state *t = &lc->tx[idx(call, leg)];
	uint64_t n = t->next_pkt++;
	uint8_t *b = pkt->data;
	enum dpb_port which = leg == DPB_LEG_A ? DPB_P_A : DPB_P_B;

	/* RFC 3550 §5.1: V=2, no padding, extension or CSRCs; the marker on the first packet,
	 * as a talkspurt starts. */
	b[0] = 0x80;
	b[1] = (uint8_t)((n == 0 ? 0x80 : 0) | dpb_pt_sent(p, leg));
	put16(b + 2, (uint16_t)(dpb_seq0(p, call, leg) + n));
	put32(b + 4, dpb_ts0(p, call, leg) + (uint32_t)n * dpb_ts_step(p));
	put32(b + 8, dpb_ssrc(p, call, leg == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER));
	dpb_payload_fill(p, b + 12, lc->payload_len, call, up_stream(leg), n, lg_real_ns());
	pkt->len = (uint16_t)(12 + lc->payload_len);
	pkt->ep = ep_of(p, which);
	pkt->gw_port = dpb_gw_port(p, call, which);
	return protect(lc, t->ctx, false, pkt);
}

/* RFC 3550 §6.4.1 SR without report blocks, and §6.5 SDES with the CNAME: the compound a
 * sender sends (§6.1). */
int lg_calls_build_rtcp(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, struct lg_pkt *pkt)
{
	const struct dpb_plan *p = &lc->plan;
	struct tx_state *t = &lc->tx[idx(call, leg)];
	uint32_t ssrc = dpb_ssrc(p, call, leg == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER);
	uint8_t *b = pkt->data;
	struct timespec now;
	char cname[32];
	size_t clen, sdes_len;
	uint64_t frac;

	clock_gettime(CLOCK_REALTIME, &now);
	b[0] = 0x80;
	b[1] = 200;
	put16(b + 2, 6);
	put32(b + 4, ssrc);
	/* NTP time: seconds since 1900, and the fraction. */
	put32(b + 8, (uint32_t)((uint64_t)now.tv_sec + 2208988800ull));
	frac = ((uint64_t)now.tv_nsec << 32) / 1000000000ull;
	put32(b + 12, (uint32_t)frac);
	put32(b + 16, dpb_ts0(p, call, leg) + (uint32_t)t->next_pkt * dpb_ts_step(p));
	put32(b + 20, (uint32_t)t->nb_sent);
	put32(b + 24, (uint32_t)t->octets);
	clen = (size_t)snprintf(cname, sizeof(cname), "lg-%c-%u", leg == DPB_LEG_A ? 'a' : 'b',
				call);
	/* Chunk: SSRC, CNAME item (type, length, text), a null item, padding to 32 bits. */
	sdes_len = (4 + 4 + 2 + clen + 1 + 3) & ~(size_t)3;
	memset(b + 28, 0, sdes_len);
	b[28] = 0x81;
	b[29] = 202;
	put16(b + 30, (uint16_t)(sdes_len / 4 - 1));
	put32(b + 32, ssrc);
	b[36] = 1;
	b[37] = (uint8_t)clen;
	memcpy(b + 38, cname, clen);
	pkt->len = (uint16_t)(28 + sdes_len);
	pkt->ep = ep_of(p, leg == DPB_LEG_A ? DPB_P_A : DPB_P_B_RTCP);
	pkt->gw_port = dpb_gw_port(p, call, leg == DPB_LEG_A ? DPB_P_A : DPB_P_B_RTCP);
	return protect(lc, t->ctx, true, pkt);
}

void lg_calls_sent(struct lg_calls *lc, uint32_t call, enum dpb_leg leg, bool is_rtcp,
		   uint8_t status)
{
	struct tx_state *t = &lc->tx[idx(call, leg)];

	if (status == LG_SEND_ERROR) {
		lc->cnt.send_errors++;
		return;
	}
	/* A full ring at the peer is the peer not keeping up: sent, and lost there. */
	if (status == LG_PEER_FULL)
		lc->cnt.peer_full++;
	if (is_rtcp) {
		lc->cnt.sent_rtcp++;
		return;
	}
	lc->cnt.sent_rtp++;
	t->nb_sent++;
	t->octets += lc->payload_len;
}

/* A compound RTCP packet (RFC 3550 §6.1): version 2 throughout, starting with an SR or RR,
 * lengths adding up to the whole. */
static bool is_rtcp_compound(const uint8_t *b, size_t len)
{
	size_t off = 0;

	if (len < 8 || (b[1] != 200 && b[1] != 201))
		return false;
	while (off < len) {
		size_t plen;

		if (len - off < 4 || (b[off] >> 6) != 2)
			return false;
		plen = 4 * ((size_t)get16(b + off + 2) + 1);
		if (plen > len - off)
			return false;
		off += plen;
	}
	return true;
}

/* The receiver's view of stream order: a 64-packet window as SRTP keeps (RFC 3711 §3.3.2). */
static void account(struct lg_calls *lc, struct rx_state *r, uint64_t n)
{
	if (!r->has_any) {
		r->has_any = true;
		r->max_pkt = n;
		r->window = 1;
		r->received++;
	} else if (n > r->max_pkt) {
		uint64_t shift = n - r->max_pkt;

		r->window = shift >= 64 ? 1 : (r->window << shift) | 1;
		r->max_pkt = n;
		r->received++;
	} else {
		uint64_t d = r->max_pkt - n;

		if (d >= 64) {
			/* Older than the window: counted received (it most likely is new), and
			 * as reordered beyond what a receiver could use. */
			lc->cnt.too_old++;
			r->received++;
		} else if (r->window & (1ull << d)) {
			lc->cnt.dups++;
		} else {
			r->window |= 1ull << d;
			r->received++;
			lc->cnt.reordered++;
		}
	}
}

/* The payload type and SSRC an RTP packet arriving on call's leg must carry. */
static bool is_header_ok(const struct lg_calls *lc, const uint8_t *b, uint32_t call,
			 enum dpb_leg leg)
{
	const struct dpb_plan *p = &lc->plan;
	enum dpb_ssrc_role role;

	if (lc->is_echo)
		role = leg == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER;
	else
		role = leg == DPB_LEG_A ? DPB_R_GW_TO_A : DPB_R_GW_TO_B;
	return (b[1] & 0x7f) == (lc->is_echo ? dpb_pt_sent(p, leg) : dpb_pt_received(p, leg)) &&
	       get32(b + 8) == dpb_ssrc(p, call, role);
}

/* The packet number of an RTP packet of stream src from its clear sequence number: the one
 * nearest the highest seen so far (the gateway passes sequence numbers through, plan.h). */
static uint64_t pkt_of_seq(const struct lg_calls *lc, const struct rx_state *r, uint32_t call,
			   enum dpb_leg src, uint16_t seq)
{
	uint16_t off = (uint16_t)(seq - dpb_seq0(&lc->plan, call, src));
	int16_t d;

	if (!r->has_any)
		return off;
	d = (int16_t)(off - (uint16_t)r->max_pkt);
	if (d < 0 && (uint64_t)-d > r->max_pkt)
		return off; /* before the first packet: cannot be, take it as it reads */
	return (uint64_t)((int64_t)r->max_pkt + d);
}

void lg_calls_receive(struct lg_calls *lc, struct lg_pkt *pkt)
{
	const struct dpb_plan *p = &lc->plan;
	enum dpb_port which;
	enum dpb_leg leg, src;
	struct rx_state *r;
	uint32_t call;
	uint64_t n = 0, sent_ns;
	size_t len = pkt->len;
	uint8_t *b = pkt->data;
	bool is_rtcp;
	int hlen, rc;

	if (dpb_gw_port_of(p, pkt->gw_port, &call, &which) != 0 || ep_of(p, which) != pkt->ep) {
		lc->cnt.misrouted++;
		return;
	}
	leg = which == DPB_P_A ? DPB_LEG_A : DPB_LEG_B;
	src = lc->is_echo ? leg : (leg == DPB_LEG_A ? DPB_LEG_B : DPB_LEG_A);
	r = &lc->rx[idx(call, leg)];
	/* RFC 5761 §4: on a multiplexed port, payload types 64-95 (with the marker bit: second
	 * byte 192-223) are RTCP. */
	is_rtcp = which == DPB_P_B_RTCP || (len >= 2 && b[1] >= 192 && b[1] <= 223);
	/* Sampled checking (--verify-every K): one RTP packet in K per stream is decrypted and
	 * checked whole below; the others by what their header, in the clear (RFC 3711 §3.1),
	 * and their length say, and they give no latency sample (their send stamp is
	 * encrypted). */
	if (!is_rtcp && lc->verify_every > 1) {
		size_t tag = r->ctx != NULL ? dp_srtp_tag_len(dpb_leg_profile(p, leg), false) : 0;

		hlen = dp_srtp_rtp_header_len(b, len);
		if (hlen < 0) {
			lc->cnt.malformed++;
			return;
		}
		if (!is_header_ok(lc, b, call, leg)) {
			lc->cnt.bad_header++;
			return;
		}
		n = pkt_of_seq(lc, r, call, src, get16(b + 2));
		if ((n + call) % lc->verify_every != 0) {
			if (len != (size_t)hlen + lc->payload_len + tag ||
			    get32(b + 4) != dpb_ts0(p, call, src) + (uint32_t)n * dpb_ts_step(p)) {
				lc->cnt.bad_header++;
				return;
			}
			account(lc, r, n);
			lc->cnt.recv_rtp++;
			lc->cnt.unverified++;
			return;
		}
	}
	if (r->ctx != NULL) {
		rc = is_rtcp ? dp_srtp_rtcp(r->ctx, b, &len, LG_BUF)
			     : dp_srtp_rtp(r->ctx, b, &len, LG_BUF);
		if (rc == -EBADMSG) {
			/* The first few named, for whoever debugs the dataplane. */
			if (lc->cnt.auth_fail++ < 5)
				fprintf(stderr, "loadgen: authentication failed: call=%u leg=%c "
						"%s len=%zu\n",
					call, leg == DPB_LEG_A ? 'a' : 'b', is_rtcp ? "rtcp" : "rtp",
					len);
			return;
		}
		if (rc == -EALREADY) {
			lc->cnt.replay++;
			return;
		}
		if (rc != 0) {
			lc->cnt.malformed++;
			return;
		}
	}
	if (is_rtcp) {
		if (is_rtcp_compound(b, len))
			lc->cnt.recv_rtcp++;
		else
			lc->cnt.rtcp_bad++;
		return;
	}
	hlen = dp_srtp_rtp_header_len(b, len);
	if (hlen < 0) {
		lc->cnt.malformed++;
		return;
	}
	if (!is_header_ok(lc, b, call, leg)) {
		lc->cnt.bad_header++;
		return;
	}
	if ((size_t)len - (size_t)hlen != lc->payload_len ||
	    dpb_payload_check(p, b + hlen, len - (size_t)hlen, call, up_stream(src), &n,
			      &sent_ns) != 0) {
		lc->cnt.bad_payload++;
		return;
	}
	/* One stream from start to end: the gateway passes its numbers through. */
	if (get16(b + 2) != (uint16_t)(dpb_seq0(p, call, src) + n) ||
	    get32(b + 4) != dpb_ts0(p, call, src) + (uint32_t)n * dpb_ts_step(p)) {
		lc->cnt.bad_header++;
		return;
	}
	account(lc, r, n);
	lc->cnt.recv_rtp++;
	lg_hist_add(&lc->lat, pkt->rx_ns > sent_ns ? pkt->rx_ns - sent_ns : 0);
}

struct lg_counts *lg_calls_counts(struct lg_calls *lc)
{
	return &lc->cnt;
}

uint64_t lg_calls_lost(const struct lg_calls *lc)
{
	uint64_t lost = 0;

	for (uint32_t c = 0; c < lc->plan.nb_calls; c++) {
		for (int l = 0; l < DPB_NB_LEGS; l++) {
			enum dpb_leg leg = (enum dpb_leg)l;
			enum dpb_leg src = lc->is_echo ? leg : (leg == DPB_LEG_A ? DPB_LEG_B
										  : DPB_LEG_A);
			uint64_t sent = lc->tx[idx(c, src)].nb_sent;
			uint64_t got = lc->rx[idx(c, leg)].received;

			if (sent > got)
				lost += sent - got;
		}
	}
	return lost;
}

const struct lg_hist *lg_calls_latency(const struct lg_calls *lc)
{
	return &lc->lat;
}
