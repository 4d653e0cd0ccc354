/* SPDX-License-Identifier: MIT */
/*
 * When the pipeline sends its receiver reports (PONTE_RTCP_TERMINATE): the first about a
 * second after the flow's first packet, then one every ponte_flow_spec.report_interval_ms,
 * each interval drawn in [0.75, 1.25) of it; 0 means PONTE_REPORT_MS_VIDEO. The clock is the
 * test's: a plain RTP stream of 50 packets a second for 120 simulated seconds, through
 * dp_pipe_input() and the batched dp_pipe_input_burst(), on flows of several intervals and ids.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "srtp.h"
#include "tap.h"

#define SECONDS 120
#define PPS 50
#define NS_PER_S 1000000000ull
#define MAX_REPORTS 512

struct capture {
	uint8_t buf[DP_PIPE_BUF];
	uint8_t bufs[4][DP_PIPE_BUF];
	uint64_t now_ns;
	unsigned nb_reports, nb_rtp;
	uint64_t at[MAX_REPORTS]; /* when each report went out */
};

static void take(struct capture *c, const uint8_t *pkt, size_t len)
{
	/* RFC 5761: an RTCP packet type (200..204) where RTP has its marker and payload type. */
	if (len >= 8 && pkt[1] >= 200 && pkt[1] <= 204) {
		if (pkt[1] == 201 && c->nb_reports < MAX_REPORTS)
			c->at[c->nb_reports++] = c->now_ns;
	} else {
		c->nb_rtp++;
	}
}

static uint8_t *c_tx_buf(void *be)
{
	return ((struct capture *)be)->buf;
}

static bool c_tx(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len,
		 struct dp_nh_cache *nh)
{
	struct capture *c = be;

	take(c, c->buf, len);
	return true;
}

static unsigned c_tx_bufs(void *be, uint8_t *bufs[], unsigned n)
{
	struct capture *c = be;
	unsigned k;

	for (k = 0; k < n && k < 4; k++)
		bufs[k] = c->bufs[k];
	return k;
}

static bool c_tx_buf_send(void *be, unsigned k, uint32_t port_id, const struct ponte_addr *dst,
			  size_t len, struct dp_nh_cache *nh)
{
	struct capture *c = be;

	take(c, c->bufs[k], len);
	return true;
}

static struct dp_flow *c_flow_by_id(void *be, uint64_t id, void **hint)
{
	return NULL;
}

static size_t make_rtp(uint8_t *pkt, uint16_t seq, uint32_t ts)
{
	memset(pkt, 0, 172);
	pkt[0] = 0x80;
	pkt[1] = 0; /* PCMU */
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = 0x12;
	pkt[9] = 0x34;
	pkt[10] = 0x56;
	pkt[11] = 0x78;
	return 172;
}

/* Runs the stream through a flow of this interval and id; checks when its reports went. */
static void run(uint16_t interval_ms, uint64_t id, bool is_burst)
{
	static const struct ponte_addr phone = {
	    .family = AF_INET, .port = 4000, .ip = {10, 0, 0, 2}};
	static const struct ponte_addr browser = {
	    .family = AF_INET, .port = 5000, .ip = {10, 0, 0, 3}};
	struct capture *c = calloc(1, sizeof(*c));
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	struct dp_flow *f = NULL;
	struct dp_pipe pp = {
	    .srtp = &dp_srtp_engine_libsrtp,
	    .tx_buf = c_tx_buf,
	    .tx = c_tx,
	    .flow_by_id = c_flow_by_id,
	    .tx_bufs = is_burst ? c_tx_bufs : NULL,
	    .tx_buf_send = is_burst ? c_tx_buf_send : NULL,
	};
	uint64_t mean = (interval_ms != 0 ? interval_ms : PONTE_REPORT_MS_VIDEO) * 1000000ull;
	uint64_t lo = ~0ull, hi = 0, t0 = 5 * NS_PER_S; /* a clock that does not start at 0 */
	uint8_t pkt[DP_PIPE_BUF];
	bool is_spread;
	int rc;

	pp.be = c;
	ponte_flow_spec_init(&spec, id, 1);
	spec.src = phone;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_interval_ms = interval_ms;
	spec.report_ssrc = 0xabcd0001;
	spec.clock_khz[0] = 8;
	o = ponte_flow_add_output(&spec, 1, &phone);
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(&spec, 2, &browser);
	o->kinds = PONTE_OUT_RTP;
	rc = dp_flow_build(pp.srtp, &spec, NULL, &f);
	CHECK(rc == 0, "interval %u, flow %llu: built", interval_ms, (unsigned long long)id);
	if (rc != 0) {
		free(c);
		return;
	}
	for (unsigned i = 0; i < SECONDS * PPS; i++) {
		size_t len = make_rtp(pkt, (uint16_t)(1000 + i), 160 * i);
		struct dp_pipe_pkt p = {.f = f, .src = &phone, .pkt = pkt, .len = len};

		c->now_ns = t0 + (uint64_t)i * (NS_PER_S / PPS);
		if (is_burst)
			dp_pipe_input_burst(&pp, &p, 1, c->now_ns);
		else
			dp_pipe_input(&pp, f, &phone, false, pkt, len, c->now_ns);
	}
	for (unsigned k = 1; k < c->nb_reports; k++) {
		uint64_t gap = c->at[k] - c->at[k - 1];

		lo = gap < lo ? gap : lo;
		hi = gap > hi ? gap : hi;
	}
	CHECK(c->nb_rtp == SECONDS * PPS, "interval %u (%s): every packet forwarded (%u)",
	      interval_ms, is_burst ? "burst" : "one by one", c->nb_rtp);
	/* The first packet's report has nothing to say (its stream in probation); the next try
	 * is about a second later whatever the interval. */
	CHECK(c->nb_reports > 0 && c->at[0] >= t0 + NS_PER_S / 4 * 3 &&
		  c->at[0] < t0 + NS_PER_S / 4 * 5 + NS_PER_S / PPS,
	      "interval %u (%s): the first report about a second after the first packet (%.2f s)",
	      interval_ms, is_burst ? "burst" : "one by one",
	      c->nb_reports > 0 ? (c->at[0] - t0) / 1e9 : -1.0);
	/* Every gap within [0.75, 1.25) of the mean, up to a packet's spacing (a report goes
	 * with the first packet after it falls due). */
	CHECK(c->nb_reports >= 2 && lo >= mean / 4 * 3 && hi < mean / 4 * 5 + NS_PER_S / PPS,
	      "interval %u (%s): %u reports in %u s, %.2f to %.2f s apart", interval_ms,
	      is_burst ? "burst" : "one by one", c->nb_reports, SECONDS, lo / 1e9, hi / 1e9);
	/* Randomised: not all the same gap (RFC 3550 §6.3.1). */
	is_spread = hi - lo > mean / 10;
	CHECK(is_spread, "interval %u (%s): the gaps vary (%.2f s)", interval_ms,
	      is_burst ? "burst" : "one by one", (hi - lo) / 1e9);
	/* About SECONDS / mean of them. */
	CHECK(c->nb_reports * mean >= (uint64_t)SECONDS * NS_PER_S * 3 / 4 &&
		  c->nb_reports * mean <= (uint64_t)SECONDS * NS_PER_S * 5 / 4 + mean,
	      "interval %u (%s): %u reports, about %llu expected", interval_ms,
	      is_burst ? "burst" : "one by one", c->nb_reports,
	      (unsigned long long)(SECONDS * NS_PER_S / mean));
	dp_flow_free(pp.srtp, f);
	free(c);
}

int main(void)
{
	run(0, 7, false);
	run(0, 8, true);
	run(PONTE_REPORT_MS_AUDIO, 9, false);
	run(PONTE_REPORT_MS_AUDIO, 10, true);
	run(PONTE_REPORT_MS_VIDEO, 11, true);
	run(2500, 12, false);
	return tap_done();
}
