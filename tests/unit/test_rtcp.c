/* SPDX-License-Identifier: MIT */
/*
 * RTCP termination (dataplane/rtcp_term.c): RFC 3550 A.1 sequence tracking, A.3 loss, A.8
 * jitter, LSR/DLSR, consuming SR and RR from compounds, building SRs and RRs; and the SR RTP
 * timestamp translation of dp_rtcp_rewrite.
 */
#include <stdlib.h>

#include "rtcp_term.h"
#include "rtp.h"
#include "tap.h"

#define MS 1000000ull	      /* nanoseconds */
#define T0 (1000 * 1000 * MS) /* a monotonic clock reading far from 0 */

/* A plain RTP packet with PT 111 and plen payload bytes; returns its length. */
static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t plen)
{
	memset(buf, 0, 12 + plen);
	buf[0] = 0x80;
	buf[1] = 111;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	dp_wr32(buf + 4, ts);
	dp_wr32(buf + 8, ssrc);
	return 12 + plen;
}

static void rtp_in(struct dp_rx_stats *rx, uint32_t ssrc, uint16_t seq, uint32_t ts,
		   uint64_t now_ns, uint32_t hz)
{
	uint8_t pkt[32];
	size_t len = make_rtp(pkt, ssrc, seq, ts, 20);

	dp_rx_stats_rtp(rx, pkt, len, now_ns, hz);
}

/* A sequence of packets 20 ms and 960 ticks apart (Opus at 48 kHz). */
static void rtp_seqs(struct dp_rx_stats *rx, uint32_t ssrc, const uint16_t *seqs, unsigned nb)
{
	for (unsigned i = 0; i < nb; i++)
		rtp_in(rx, ssrc, seqs[i], 960u * seqs[i], T0 + 20 * MS * seqs[i], 48000);
}

/* One report block, parsed back. */
struct block {
	uint32_t ssrc;
	uint8_t fraction;
	int32_t lost;
	uint32_t ext_max, jitter, lsr, dlsr;
};

static struct block block_at(const uint8_t *p)
{
	uint32_t w = dp_rd32(p + 4);
	struct block b = {
	    .ssrc = dp_rd32(p),
	    .fraction = (uint8_t)(w >> 24),
	    /* 24-bit two's complement. */
	    .lost = (int32_t)(w & 0xffffff) - ((w & 0x800000) ? 0x1000000 : 0),
	    .ext_max = dp_rd32(p + 8),
	    .jitter = dp_rd32(p + 12),
	    .lsr = dp_rd32(p + 16),
	    .dlsr = dp_rd32(p + 20),
	};

	return b;
}

/* Build an RR without SDES and return its only block (ssrc 0 when there is none). */
static struct block report(struct dp_rx_stats *rx, uint64_t now_ns)
{
	uint8_t buf[DP_RTCP_RR_MAX_LEN];
	size_t n = dp_rtcp_build_rr(rx, 0x42, NULL, now_ns, buf, sizeof(buf));
	struct block none = {0};

	if (n != 32 || (buf[0] & 0x1f) != 1)
		return none;
	return block_at(buf + 8);
}

static void test_loss(void)
{
	struct dp_rx_stats rx = {0};
	const uint16_t a[] = {100, 101, 102, 104, 105, 108};
	const uint16_t b[] = {109, 110};
	const uint16_t c[] = {111, 115};
	struct block k;

	/* 100 is probation; the sequence starts at 101: 101..108 expected (8), 5 came. */
	rtp_seqs(&rx, 0xa, a, 6);
	k = report(&rx, T0 + 3 * 1000 * MS);
	CHECK(k.ssrc == 0xa && k.ext_max == 108 && k.lost == 3 && k.fraction == 3 * 256 / 8,
	      "gaps: 3 of 8 lost, fraction 96 (have %u lost %d fraction %u)", k.ext_max, k.lost,
	      k.fraction);
	rtp_seqs(&rx, 0xa, b, 2);
	k = report(&rx, T0 + 6 * 1000 * MS);
	CHECK(k.ext_max == 110 && k.lost == 3 && k.fraction == 0,
	      "no loss since the last report: fraction 0, cumulative still 3 (%d, %u)", k.lost,
	      k.fraction);
	rtp_seqs(&rx, 0xa, c, 2);
	k = report(&rx, T0 + 9 * 1000 * MS);
	CHECK(k.ext_max == 115 && k.lost == 6 && k.fraction == 3 * 256 / 5,
	      "3 of the 5 since the last report lost: fraction 153, cumulative 6 (%d, %u)", k.lost,
	      k.fraction);
	k = report(&rx, T0 + 12 * 1000 * MS);
	CHECK(k.ssrc == 0, "nothing heard since the last report: no block, no RR");
}

static void test_wrap(void)
{
	struct dp_rx_stats rx = {0};
	const uint16_t a[] = {65533, 65534, 65535, 0, 1, 2};
	const uint16_t b[] = {65533, 65534, 1, 2};
	struct block k;

	rtp_seqs(&rx, 0xb, a, 6);
	k = report(&rx, T0);
	CHECK(k.ext_max == 65536 + 2 && k.lost == 0 && k.fraction == 0,
	      "wrap at 65535: one cycle, extended max 65538, nothing lost (%u, %d)", k.ext_max,
	      k.lost);
	memset(&rx, 0, sizeof(rx));
	rtp_seqs(&rx, 0xb, b, 4);
	k = report(&rx, T0);
	CHECK(k.ext_max == 65536 + 2 && k.lost == 2 && k.fraction == 2 * 256 / 5,
	      "a gap across the wrap: 65535 and 0 lost (%u, %d, %u)", k.ext_max, k.lost,
	      k.fraction);
	memset(&rx, 0, sizeof(rx));
	rtp_in(&rx, 0xb, 65535, 0, T0, 8000);
	rtp_in(&rx, 0xb, 0, 160, T0 + 20 * MS, 8000);
	k = report(&rx, T0);
	CHECK(k.ssrc == 0xb && k.ext_max == 0 && k.lost == 0,
	      "a new source's probation across the wrap: 65535 then 0 is in sequence, the "
	      "sequence starts at 0 (%u)",
	      k.ext_max);
}

static void test_reorder_dup(void)
{
	struct dp_rx_stats rx = {0};
	const uint16_t a[] = {10, 11, 13, 12, 14};
	const uint16_t b[] = {20, 21, 23};
	const uint16_t c[] = {22, 24};
	const uint16_t d[] = {10, 11, 12, 12, 13};
	struct block k;

	rtp_seqs(&rx, 0xc, a, 5);
	k = report(&rx, T0);
	CHECK(k.ext_max == 14 && k.lost == 0 && k.fraction == 0,
	      "reordering: 12 after 13 is not lost and does not lower the max (%u, %d)", k.ext_max,
	      k.lost);
	memset(&rx, 0, sizeof(rx));
	rtp_seqs(&rx, 0xc, b, 3);
	k = report(&rx, T0);
	CHECK(k.ext_max == 23 && k.lost == 1 && k.fraction == 256 / 3,
	      "22 missing at the report: 1 of 3 lost (%d, %u)", k.lost, k.fraction);
	rtp_seqs(&rx, 0xc, c, 2);
	k = report(&rx, T0);
	CHECK(k.ext_max == 24 && k.lost == 0 && k.fraction == 0,
	      "22 came late: cumulative back to 0, negative interval loss gives fraction 0 "
	      "(%d, %u)",
	      k.lost, k.fraction);
	memset(&rx, 0, sizeof(rx));
	rtp_seqs(&rx, 0xc, d, 5);
	k = report(&rx, T0);
	CHECK(k.ext_max == 13 && k.lost == -1 && k.fraction == 0,
	      "a duplicate: cumulative lost -1 (0xffffff on the wire), fraction 0 (%d)", k.lost);
}

static void test_restart(void)
{
	struct dp_rx_stats rx = {0};
	const uint16_t a[] = {10, 11, 12};
	struct block k;

	rtp_seqs(&rx, 0xd, a, 3);
	rtp_in(&rx, 0xd, 5000, 0, T0 + 80 * MS, 48000);
	rtp_in(&rx, 0xd, 13, 13 * 960, T0 + 13 * 20 * MS, 48000);
	k = report(&rx, T0);
	CHECK(k.ext_max == 13 && k.lost == 0,
	      "a lone jump of 4988 is ignored, the sequence goes on (%u, %d)", k.ext_max, k.lost);
	rtp_in(&rx, 0xd, 9000, 0, T0 + 300 * MS, 48000);
	k = report(&rx, T0);
	CHECK(k.ssrc == 0, "the first packet after a big jump is not counted");
	rtp_in(&rx, 0xd, 9001, 960, T0 + 320 * MS, 48000);
	rtp_in(&rx, 0xd, 9003, 3 * 960, T0 + 360 * MS, 48000);
	k = report(&rx, T0);
	CHECK(k.ext_max == 9003 && k.lost == 1 && k.fraction == 256 / 3,
	      "two in sequence after the jump: a restart at 9001 (%u, %d, %u)", k.ext_max, k.lost,
	      k.fraction);

	/* A new source is not reported before MIN_SEQUENTIAL (2) packets in sequence. */
	memset(&rx, 0, sizeof(rx));
	rtp_in(&rx, 0xe, 100, 0, T0, 48000);
	rtp_in(&rx, 0xe, 300, 0, T0 + 20 * MS, 48000);
	CHECK(dp_rtcp_build_rr(&rx, 1, "x", T0, (uint8_t[DP_RTCP_RR_MAX_LEN]){0},
			       DP_RTCP_RR_MAX_LEN) == 0,
	      "probation: 100 then 300 is not a valid source yet, no RR");
	rtp_in(&rx, 0xe, 301, 960, T0 + 40 * MS, 48000);
	k = report(&rx, T0);
	CHECK(k.ssrc == 0xe && k.ext_max == 301 && k.lost == 0,
	      "probation: 300, 301 in sequence make it valid, counted from 301 (%u)", k.ext_max);
}

static void test_jitter(void)
{
	struct dp_rx_stats rx = {0};
	/* 8 kHz, 160 ticks and 20 ms apart; packet 3 arrives 5 ms (40 ticks) late. */
	const uint64_t late_ms[] = {0, 0, 0, 5, 0, 0};
	struct block k;

	for (unsigned i = 0; i < 6; i++)
		rtp_in(&rx, 0xf, (uint16_t)(1000 + i), 7777 + 160 * i,
		       T0 + (20 * i + late_ms[i]) * MS, 8000);
	/*
	 * Packet 0 is probation, packet 1 starts the sequence and sets the transit. By A.8's
	 * integer form J16 += |D| - ((J16 + 8) >> 4): packet 2, D 0: J16 = 0; packet 3, D 40:
	 * J16 = 40; packet 4, D 40: 40 + 40 - 3 = 77; packet 5, D 0: 77 - 5 = 72. 72 >> 4 = 4.
	 * (In floating point: 2.5, 4.84, 4.54.)
	 */
	k = report(&rx, T0);
	CHECK(k.jitter == 4 && k.lost == 0, "jitter: 4 timestamp units, as computed by hand (%u)",
	      k.jitter);
	rtp_in(&rx, 0xf, 1003, 7777 + 160 * 3, T0 + 200 * MS, 8000);
	rtp_in(&rx, 0xf, 1006, 7777 + 160 * 6, T0 + 120 * MS, 8000);
	k = report(&rx, T0);
	CHECK(k.jitter == (72 - ((72 + 8) >> 4)) >> 4,
	      "a late duplicate does not count as transit; the next in order does (%u)", k.jitter);

	memset(&rx, 0, sizeof(rx));
	for (unsigned i = 0; i < 6; i++)
		rtp_in(&rx, 0xf, (uint16_t)(1000 + i), 160 * i, T0 + (20 * i + late_ms[i]) * MS, 0);
	k = report(&rx, T0);
	CHECK(k.ssrc == 0xf && k.jitter == 0, "clock rate unknown: jitter 0");

	/* Timestamps wrapping at 2^32 and a clock near 2^64 ns do not disturb the estimate. */
	memset(&rx, 0, sizeof(rx));
	for (unsigned i = 0; i < 6; i++)
		rtp_in(&rx, 0xf, (uint16_t)(65533 + i), 0xfffffd00u + 160 * i,
		       UINT64_MAX - 500 * MS + 20 * MS * i, 8000);
	k = report(&rx, T0);
	CHECK(k.ssrc == 0xf && k.jitter <= 1 && k.ext_max == 65536 + 2,
	      "jitter across a timestamp wrap stays near 0 (%u)", k.jitter);
}

/* A compound: SR from 0xa with NTP ntp and RTP ts 0x1000, one report block, then SDES, PLI. */
static size_t make_sr_sdes_pli(uint8_t *buf, uint32_t ssrc, uint64_t ntp)
{
	static const uint8_t sdes[] = {0x81, 202, 0x00, 0x03, 0,   0,	0, 0x0a,
				       1,    4,	  'a',	'b',  'c', 'd', 0, 0};
	static const uint8_t pli[] = {0x81, 206, 0x00, 0x02, 0, 0, 0, 0x0a, 0, 0, 0, 0x0b};
	size_t n = 0;

	memset(buf, 0, 52);
	buf[0] = 0x81;
	buf[1] = 200;
	buf[3] = 12;
	dp_wr32(buf + 4, ssrc);
	dp_wr32(buf + 8, (uint32_t)(ntp >> 32));
	dp_wr32(buf + 12, (uint32_t)ntp);
	dp_wr32(buf + 16, 0x1000);
	dp_wr32(buf + 20, 77);
	dp_wr32(buf + 24, 7700);
	dp_wr32(buf + 28, 0x5eed); /* a report block about a stream of the other leg */
	n = 52;
	memcpy(buf + n, sdes, sizeof(sdes));
	n += sizeof(sdes);
	memcpy(buf + n, pli, sizeof(pli));
	return n + sizeof(pli);
}

static void test_consume(void)
{
	struct dp_rx_stats rx = {0};
	uint8_t buf[128], want[64];
	struct dp_sr_info srs[2];
	unsigned nb_sr = 99;
	const uint64_t ntp = 0x83aa7e80a0000000ull;
	size_t len, n;
	struct block k;

	len = make_sr_sdes_pli(buf, 0xa, ntp);
	memcpy(want, buf + 52, len - 52);
	CHECK(dp_rtcp_is_valid(buf, len), "test compound SR+SDES+PLI is valid (%zu bytes)", len);
	n = dp_rtcp_consume(buf, len, &rx, T0, srs, 2, &nb_sr);
	CHECK(n == len - 52 && memcmp(buf, want, n) == 0,
	      "consume: SR removed, SDES+PLI left byte-exact (%zu bytes)", n);
	CHECK(nb_sr == 1 && srs[0].ssrc == 0xa && srs[0].ntp == ntp && srs[0].rtp_ts == 0x1000,
	      "consume: the SR's sender, NTP and RTP timestamp copied out");
	CHECK(dp_rtcp_is_valid(buf, n), "what is left is a valid compound");

	/* RR only: nothing to forward. */
	uint8_t rr[32] = {0x81, 201, 0x00, 0x07, 0, 0, 0x55, 0x55, 0, 0, 0xab, 0xcd};

	CHECK(dp_rtcp_consume(rr, sizeof(rr), &rx, T0, NULL, 0, &nb_sr) == 0 && nb_sr == 0,
	      "consume: an RR alone leaves nothing");
	uint8_t rr_bare[12] = {0x80, 201, 0x00, 0x01, 0, 0, 0, 2, 0x80, 202, 0x00, 0x00};

	CHECK(dp_rtcp_consume(rr_bare, sizeof(rr_bare), &rx, T0, NULL, 0, NULL) == 0,
	      "consume: RR + an empty 4-byte SDES leaves nothing worth forwarding");

	/* SDES, RR, BYE: the RR in the middle goes, the rest closes up. */
	uint8_t mix[48] = {0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 1, 1, 'x', 0, /* SDES */
			   0x80, 201, 0x00, 0x01, 0, 0, 0, 2,		    /* RR, no blocks */
			   0x81, 203, 0x00, 0x01, 0, 0, 0, 1};		    /* BYE */
	uint8_t mix_want[20] = {0x81, 202, 0x00, 0x02, 0,    0,	   0, 1, 1, 1,
				'x',  0,   0x81, 203,  0x00, 0x01, 0, 0, 0, 1};

	n = dp_rtcp_consume(mix, 28, &rx, T0, NULL, 0, NULL);
	CHECK(n == 20 && memcmp(mix, mix_want, 20) == 0, "consume: SDES+RR+BYE -> SDES+BYE");
	CHECK(dp_rtcp_consume(mix, 27, &rx, T0, NULL, 0, NULL) == 0,
	      "consume: an invalid compound forwards nothing");

	/* LSR / DLSR: an SR from a stream being received. */
	memset(&rx, 0, sizeof(rx));
	const uint16_t seqs[] = {1, 2, 3};

	rtp_seqs(&rx, 0xa, seqs, 3);
	rtp_seqs(&rx, 0xb, seqs, 3);
	len = make_sr_sdes_pli(buf, 0xa, ntp);
	dp_rtcp_consume(buf, len, &rx, T0 + 100 * MS, srs, 0, &nb_sr);
	CHECK(nb_sr == 0, "consume: max_sr 0 copies nothing");
	uint8_t out[DP_RTCP_RR_MAX_LEN];

	n = dp_rtcp_build_rr(&rx, 0x42, NULL, T0 + 1600 * MS, out, sizeof(out));
	CHECK(n == 8 + 2 * 24, "RR with two blocks");
	k = block_at(out + 8);
	CHECK(k.ssrc == 0xa && k.lsr == 0x7e80a000 && k.dlsr == 3 * 65536 / 2,
	      "LSR is the middle of the SR's NTP, DLSR 1.5 s = 98304 (%#x, %u)", k.lsr, k.dlsr);
	k = block_at(out + 32);
	CHECK(k.ssrc == 0xb && k.lsr == 0 && k.dlsr == 0, "no SR from 0xb: LSR and DLSR 0");
	/* An SR from an unknown SSRC is still reported to the caller. */
	len = make_sr_sdes_pli(buf, 0x99, ntp);
	n = dp_rtcp_consume(buf, len, &rx, T0, srs, 2, &nb_sr);
	CHECK(nb_sr == 1 && srs[0].ssrc == 0x99 && rx.nb == 2,
	      "an SR from a source not received: copied out, no entry made");
}

static void test_build_sr(void)
{
	struct dp_tx_stats tx = {0};
	uint8_t pkt[256], sr[DP_RTCP_SR_LEN];
	size_t len;

	len = make_rtp(pkt, 0x1111, 1, 0, 100);
	dp_tx_stats_rtp(&tx, pkt, len);
	/* Two CSRCs and a one-word extension: 12 + 8 + 8 header bytes, 50 payload. */
	len = make_rtp(pkt, 0x1111, 2, 0, 66);
	pkt[0] = 0x92;
	pkt[20] = 0xbe;
	pkt[21] = 0xde;
	pkt[23] = 1;
	dp_tx_stats_rtp(&tx, pkt, len);
	/* Padding: 30 bytes after the header, of which the last 10 pad. */
	len = make_rtp(pkt, 0x1111, 3, 0, 30);
	pkt[0] |= 0x20;
	pkt[len - 1] = 10;
	dp_tx_stats_rtp(&tx, pkt, len);
	len = make_rtp(pkt, 0x2222, 1, 0, 40);
	dp_tx_stats_rtp(&tx, pkt, len);
	dp_tx_stats_rtp(&tx, pkt, 11); /* invalid: not counted */

	CHECK(dp_rtcp_build_sr(&tx, 0x1111, 0x0102030405060708ull, 0xabcdef, sr, sizeof(sr)) ==
		  DP_RTCP_SR_LEN,
	      "build_sr: 28 bytes");
	CHECK(sr[0] == 0x80 && sr[1] == 200 && sr[2] == 0 && sr[3] == 6 &&
		  dp_rd32(sr + 4) == 0x1111 && dp_rd32(sr + 8) == 0x01020304 &&
		  dp_rd32(sr + 12) == 0x05060708 && dp_rd32(sr + 16) == 0xabcdef,
	      "build_sr: header, SSRC, NTP and RTP timestamp");
	CHECK(dp_rd32(sr + 20) == 3 && dp_rd32(sr + 24) == 100 + 50 + 20,
	      "build_sr: 3 packets, 170 payload octets (no CSRC, extension or padding) (%u, %u)",
	      dp_rd32(sr + 20), dp_rd32(sr + 24));
	CHECK(dp_rtcp_is_valid(sr, DP_RTCP_SR_LEN), "build_sr: dp_rtcp_is_valid accepts it");
	CHECK(dp_rtcp_build_sr(&tx, 0x2222, 0, 0, sr, sizeof(sr)) == DP_RTCP_SR_LEN &&
		  dp_rd32(sr + 20) == 1 && dp_rd32(sr + 24) == 40,
	      "build_sr: counts per SSRC");
	CHECK(dp_rtcp_build_sr(&tx, 0x3333, 0, 0, sr, sizeof(sr)) == 0,
	      "build_sr: nothing sent under that SSRC, no SR");
	CHECK(dp_rtcp_build_sr(&tx, 0x1111, 0, 0, sr, DP_RTCP_SR_LEN - 1) == 0,
	      "build_sr: buffer too small");

	/* Ten SSRCs through nine entries: the least recently used one gives way. */
	memset(&tx, 0, sizeof(tx));
	for (uint32_t s = 1; s <= 9; s++) {
		len = make_rtp(pkt, s, 1, 0, 10);
		dp_tx_stats_rtp(&tx, pkt, len);
	}
	len = make_rtp(pkt, 1, 2, 0, 10);
	dp_tx_stats_rtp(&tx, pkt, len); /* 1 is used again: 2 is now the oldest */
	len = make_rtp(pkt, 10, 1, 0, 10);
	dp_tx_stats_rtp(&tx, pkt, len);
	CHECK(tx.nb == DP_RTCP_MAX_TX && dp_rtcp_build_sr(&tx, 2, 0, 0, sr, sizeof(sr)) == 0 &&
		  dp_rtcp_build_sr(&tx, 10, 0, 0, sr, sizeof(sr)) == DP_RTCP_SR_LEN &&
		  dp_rtcp_build_sr(&tx, 1, 0, 0, sr, sizeof(sr)) == DP_RTCP_SR_LEN &&
		  dp_rd32(sr + 20) == 2,
	      "tx table full: the least recently used SSRC is replaced");
}

static void test_build_rr(void)
{
	struct dp_rx_stats rx = {0};
	uint8_t buf[DP_RTCP_RR_MAX_LEN], again[DP_RTCP_RR_MAX_LEN];
	const uint16_t a[] = {1, 2, 3, 5, 6};
	const uint16_t b[] = {7, 8, 9};
	char cname[300];
	size_t n, m;
	int nb_bad = 0;

	rtp_seqs(&rx, 0x0a0a0a0a, a, 5);
	rtp_seqs(&rx, 0x0b0b0b0b, b, 3);
	n = dp_rtcp_build_rr(&rx, 0xcafe, "ponte@gw", T0, buf, sizeof(buf));
	/* RR: 8 + 2 * 24; SDES: 8 + (2 + 8 + 1 null, padded to 12). */
	CHECK(n == 56 + 20, "build_rr: RR of two blocks and SDES, 76 bytes (%zu)", n);
	CHECK(dp_rtcp_is_valid(buf, n), "build_rr: dp_rtcp_is_valid accepts it");
	CHECK(buf[0] == 0x82 && buf[1] == 201 && buf[2] == 0 && buf[3] == 13 &&
		  dp_rd32(buf + 4) == 0xcafe,
	      "build_rr: RR header V=2 RC=2 PT=201 length 13, reporter SSRC");
	struct block k0 = block_at(buf + 8), k1 = block_at(buf + 32);

	CHECK(k0.ssrc == 0x0a0a0a0a && k0.fraction == 256 / 5 && k0.lost == 1 && k0.ext_max == 6 &&
		  k0.jitter == 0 && k0.lsr == 0 && k0.dlsr == 0,
	      "build_rr: first block field by field");
	CHECK(k1.ssrc == 0x0b0b0b0b && k1.fraction == 0 && k1.lost == 0 && k1.ext_max == 9,
	      "build_rr: second block field by field");
	static const uint8_t sdes[] = {0x81, 202, 0x00, 0x04, 0,   0,	0xca, 0xfe, 1, 8,
				       'p',  'o', 'n',	't',  'e', '@', 'g',  'w',  0, 0};

	CHECK(memcmp(buf + 56, sdes, sizeof(sdes)) == 0,
	      "build_rr: SDES chunk of the reporter with CNAME, null-terminated and padded");

	/* Too small: 0 and no state change, so a retry reports the same interval. */
	rtp_seqs(&rx, 0x0a0a0a0a, (const uint16_t[]){8}, 1);
	CHECK(dp_rtcp_build_rr(&rx, 0xcafe, "ponte@gw", T0, buf, 8 + 24 + 19) == 0,
	      "build_rr: buffer too small, 0");
	n = dp_rtcp_build_rr(&rx, 0xcafe, "ponte@gw", T0, buf, 8 + 24 + 20);
	CHECK(n == 52 && block_at(buf + 8).fraction == 256 / 2 && block_at(buf + 8).lost == 2,
	      "build_rr: exactly enough room; 7 of 7..8 lost since the last report (%zu)", n);
	CHECK(dp_rtcp_build_rr(&rx, 1, "", T0, buf, sizeof(buf)) == 0, "build_rr: empty CNAME, 0");

	/* Every CNAME length makes a valid, aligned compound; 256 is refused. */
	memset(cname, 'c', sizeof(cname));
	for (size_t l = 1; l <= 256; l++) {
		struct dp_rx_stats r2 = {0};

		rtp_seqs(&r2, 5, a, 2);
		cname[l] = 0;
		n = dp_rtcp_build_rr(&r2, 7, cname, T0, buf, sizeof(buf));
		m = 8 + 24 + 8 + ((2 + l + 4) & ~(size_t)3);
		if (l <= 255 ? (n != m || !dp_rtcp_is_valid(buf, n) || buf[32 + 9] != l ||
				buf[n - 1] != 0 || memcmp(buf + 42, cname, l) != 0)
			     : n != 0)
			nb_bad++;
		cname[l] = 'c';
	}
	CHECK(nb_bad == 0, "build_rr: CNAME of 1..255 bytes valid and padded, 256 refused (%d)",
	      nb_bad);

	/* A full table: eight streams, the ninth replaces the least recently seen. */
	memset(&rx, 0, sizeof(rx));
	for (uint32_t s = 1; s <= 8; s++)
		for (uint16_t q = 0; q < 2; q++)
			rtp_in(&rx, s, q, 0, T0 + s * MS + q, 0);
	rtp_in(&rx, 1, 2, 0, T0 + 100 * MS, 0);
	rtp_in(&rx, 9, 0, 0, T0 + 101 * MS, 0);
	rtp_in(&rx, 9, 1, 0, T0 + 102 * MS, 0);
	n = dp_rtcp_build_rr(&rx, 1, "c", T0, buf, sizeof(buf));
	m = dp_rtcp_build_rr(&rx, 1, "c", T0, again, sizeof(again));
	bool has_2 = false, has_9 = false;

	for (unsigned i = 0; i < (buf[0] & 0x1fu); i++) {
		has_2 |= dp_rd32(buf + 8 + 24 * i) == 2;
		has_9 |= dp_rd32(buf + 8 + 24 * i) == 9;
	}
	CHECK(rx.nb == DP_RTCP_MAX_RX && (buf[0] & 0x1f) == 8 && has_9 && !has_2 &&
		  dp_rtcp_is_valid(buf, n),
	      "rx table full: the least recently seen SSRC (2) is replaced by 9");
	CHECK(m == 0, "and a second report right after has nothing to say");
}

static void test_rewrite_sr(void)
{
	struct ponte_flow_output out;
	uint8_t buf[128];
	size_t len;
	uint32_t d = 1;

	memset(&out, 0, sizeof(out));
	memset(out.pt_map, PONTE_PT_KEEP, sizeof(out.pt_map));
	out.nb_ssrc_maps = 1;
	out.ssrc_maps[0] = (struct ponte_ssrc_map){.from = 0xa, .to = 0xaaaa, .ts_delta = 0x100};
	len = make_sr_sdes_pli(buf, 0xa, 1);
	dp_rtcp_rewrite(buf, len, &out);
	CHECK(dp_rd32(buf + 4) == 0xaaaa && dp_rd32(buf + 16) == 0x1100 && dp_rd32(buf + 8) == 0 &&
		  dp_rd32(buf + 12) == 1 && dp_rd32(buf + 20) == 77,
	      "rewrite: an SR translated by a map gets its ts_delta, the rest untouched");
	out.ssrc_any = 0x7777;
	len = make_sr_sdes_pli(buf, 0xb, 1);
	dp_rtcp_rewrite(buf, len, &out);
	CHECK(dp_rd32(buf + 4) == 0x7777 && dp_rd32(buf + 16) == 0x1000,
	      "rewrite: an SR translated by ssrc_any keeps its RTP timestamp");
	CHECK(dp_ssrc_out(&out, 0xa, &d) == 0xaaaa && d == 0x100 &&
		  dp_ssrc_out(&out, 0xb, &d) == 0x7777 && d == 0,
	      "dp_ssrc_out: map with its delta, ssrc_any without");
	out.ssrc_any = 0;
	CHECK(dp_ssrc_out(&out, 0xb, NULL) == 0xb, "dp_ssrc_out: untranslated");
}

/* xorshift64*: a fixed, reproducible sequence. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* A random but valid compound of SR, RR, SDES, BYE, PLI and XR packets into buf. */
static size_t random_compound(uint8_t *buf, size_t size)
{
	static const uint8_t types[] = {200, 201, 202, 203, 204, 205, 206, 207};
	size_t n = 0;
	unsigned nb = 1 + rnd() % 5;

	for (unsigned i = 0; i < nb; i++) {
		uint8_t pt = types[rnd() % sizeof(types)];
		unsigned words = pt == 200   ? 6 + 6 * (rnd() % 3)
				 : pt == 201 ? 1 + 6 * (rnd() % 3)
					     : rnd() % 8;
		size_t plen = 4 * ((size_t)words + 1);

		if (n + plen > size)
			break;
		for (size_t j = 0; j < plen; j++)
			buf[n + j] = (uint8_t)rnd();
		buf[n] = (uint8_t)(0x80 | (pt == 200 || pt == 201 ? (words - 1) / 6 : rnd() % 32));
		buf[n + 1] = pt;
		buf[n + 2] = (uint8_t)(words >> 8);
		buf[n + 3] = (uint8_t)words;
		n += plen;
	}
	return n;
}

/* Does pkt hold an SR or RR at any packet boundary? */
static bool has_report(const uint8_t *pkt, size_t len)
{
	size_t off = 0;

	while (off + 4 <= len) {
		if (pkt[off + 1] == 200 || pkt[off + 1] == 201)
			return true;
		off += 4 * ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1);
	}
	return false;
}

static void test_random(void)
{
	struct dp_rx_stats rx = {0};
	struct dp_tx_stats tx = {0};
	uint8_t src[512], rr[DP_RTCP_RR_MAX_LEN];
	struct dp_sr_info srs[4];
	unsigned nb_sr, nb_bad = 0, nb_valid = 0, nb_kept = 0;

	for (unsigned round = 0; round < 20000; round++) {
		size_t len = random_compound(src, sizeof(src));
		unsigned kind = rnd() % 4;

		/* Mutate: flip bytes, truncate, or go fully random. */
		if (kind == 1 && len > 0) {
			unsigned nb_flips = 1 + rnd() % 4;

			for (unsigned j = 0; j < nb_flips; j++)
				src[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
		} else if (kind == 2 && len > 0) {
			len = rnd() % len;
		} else if (kind == 3) {
			len = rnd() % 96;
			for (size_t j = 0; j < len; j++)
				src[j] = (uint8_t)rnd();
		}
		/* An exact-size copy so that ASan / valgrind see any read or write outside it. */
		uint8_t *pkt = malloc(len ? len : 1);
		bool is_valid;
		size_t n;

		if (pkt == NULL)
			abort();
		memcpy(pkt, src, len);
		is_valid = dp_rtcp_is_valid(pkt, len);
		nb_valid += is_valid;
		n = dp_rtcp_consume(pkt, len, &rx, T0 + round * MS, srs, rnd() % 5, &nb_sr);
		if (n > len || nb_sr > 4 || (!is_valid && n != 0) ||
		    (n != 0 && (!dp_rtcp_is_valid(pkt, n) || has_report(pkt, n))))
			nb_bad++;
		nb_kept += n != 0;
		/* The same bytes as RTP, received and sent. */
		memcpy(pkt, src, len);
		dp_rx_stats_rtp(&rx, pkt, len, T0 + round * MS, rnd() % 2 ? 90000 : 0);
		dp_tx_stats_rtp(&tx, pkt, len);
		free(pkt);
		if (round % 50 == 0) {
			n = dp_rtcp_build_rr(&rx, 1, "fuzz", T0 + round * MS, rr, sizeof(rr));
			if (n != 0 && !dp_rtcp_is_valid(rr, n))
				nb_bad++;
		}
	}
	CHECK(nb_bad == 0 && nb_valid > 1000 && nb_kept > 1000,
	      "20000 random and mutated compounds: consume leaves valid compounds without SR/RR "
	      "and stays in bounds (%u bad, %u valid, %u kept)",
	      nb_bad, nb_valid, nb_kept);
}

int main(void)
{
	test_loss();
	test_wrap();
	test_reorder_dup();
	test_restart();
	test_jitter();
	test_consume();
	test_build_sr();
	test_build_rr();
	test_rewrite_sr();
	test_random();
	return tap_done();
}
