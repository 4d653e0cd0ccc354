/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "rtcp_term.h"
#include "rtp.h"

/* RFC 3550 A.1. */
#define SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2

#define NS_PER_S 1000000000ull

/* What update_seq made of a packet. */
enum seq_verdict {
	SEQ_BAD,   /* in probation, or the first after a big jump: not counted */
	SEQ_START, /* counted, and the sequence (re)starts here */
	SEQ_NEXT,  /* counted, and the highest sequence number so far */
	SEQ_OLD,   /* counted, but a duplicate or late: says nothing about transit */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 3550 A.1 init_seq(). */
static void init_seq(struct dp_rx_stream *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/*
 * RFC 3550 A.1 update_seq(), with its 16-bit comparisons made explicit: A.1 compares
 * seq == max_seq + 1 in int, which is never true across the wrap during probation.
 */
static enum seq_verdict update_seq(struct dp_rx_stream *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	enum seq_verdict v;

	if (s->probation) {
		/* A source is valid once MIN_SEQUENTIAL packets came in sequence. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return SEQ_START;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return SEQ_BAD;
	}
	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
		v = udelta == 0 ? SEQ_OLD : SEQ_NEXT;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: a restart if the next packet follows it, else a stray. */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return SEQ_BAD;
		}
		init_seq(s, seq);
		v = SEQ_START;
	} else {
		v = SEQ_OLD; /* duplicate or reordered */
	}
	s->received++;
	return v;
}

/* The arrival time in RTP timestamp units, modulo 2^32 (unsigned wrap is the point). */
static uint32_t arrival_ts(uint64_t now_ns, uint32_t clock_hz)
{
	uint64_t sec = now_ns / NS_PER_S, frac_ns = now_ns % NS_PER_S;

	/* Split so that frac_ns * clock_hz (< 2^62) cannot overflow. */
	return (uint32_t)(sec * clock_hz + frac_ns * clock_hz / NS_PER_S);
}

/* RFC 3550 A.8, the integer form: jitter_q4 is 16 times the estimate J. */
static void update_jitter(struct dp_rx_stream *s, uint32_t ts, uint64_t now_ns)
{
	uint32_t transit = arrival_ts(now_ns, s->clock_hz) - ts;
	uint32_t d = transit - s->transit;

	s->transit = transit;
	if (!s->has_transit) {
		s->has_transit = true;
		return;
	}
	/* |D(i-1,i)| from the 32-bit difference, without a signed overflow. */
	if (d > 0x80000000u)
		d = 0u - d;
	/* J += (|D| - J) / 16; never below zero since (J + 8) >> 4 <= J for J >= 0. */
	s->jitter_q4 += d - ((s->jitter_q4 + 8) >> 4);
}

static struct dp_rx_stream *find_rx(struct dp_rx_stats *st, uint32_t ssrc)
{
	for (unsigned i = 0; i < st->nb && i < DP_RTCP_MAX_RX; i++)
		if (st->s[i].ssrc == ssrc)
			return &st->s[i];
	return NULL;
}

/* A new entry for ssrc: a free one, else the least recently seen. */
static struct dp_rx_stream *new_rx(struct dp_rx_stats *st, uint32_t ssrc)
{
	struct dp_rx_stream *s;

	if (st->nb < DP_RTCP_MAX_RX) {
		s = &st->s[st->nb++];
	} else {
		st->nb = DP_RTCP_MAX_RX;
		s = &st->s[0];
		for (unsigned i = 1; i < DP_RTCP_MAX_RX; i++)
			if (st->s[i].last_ns < s->last_ns)
				s = &st->s[i];
	}
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	return s;
}

void dp_rx_stats_rtp(struct dp_rx_stats *st, const uint8_t *pkt, size_t len, uint64_t now_ns,
		     uint32_t clock_hz)
{
	struct dp_rx_stream *s;
	enum seq_verdict v;
	uint16_t seq;

	if (len < DP_RTP_MIN_LEN || pkt[0] >> 6 != 2)
		return;
	seq = rd16(pkt + 2);
	s = find_rx(st, dp_rd32(pkt + 8));
	if (s == NULL) {
		/* RFC 3550 A.1: a new source starts in probation. */
		s = new_rx(st, dp_rd32(pkt + 8));
		init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = MIN_SEQUENTIAL;
	}
	s->last_ns = now_ns;
	if (s->clock_hz != clock_hz) {
		/* Transit times in another clock's units do not compare. */
		s->clock_hz = clock_hz;
		s->has_transit = false;
		s->jitter_q4 = 0;
	}
	v = update_seq(s, seq);
	if (v == SEQ_BAD)
		return;
	s->is_heard = true;
	if (v == SEQ_START)
		s->has_transit = false; /* a restarted sender has a new timestamp base */
	/* A.8 compares consecutive packets; a late one would count its delay twice. */
	if (clock_hz != 0 && v != SEQ_OLD)
		update_jitter(s, dp_rd32(pkt + 4), now_ns);
}

/* RFC 3550 §5.1: header length of a valid RTP packet (fixed part, CSRCs, extension). */
static size_t rtp_hdr_len(const uint8_t *pkt)
{
	size_t hdr = DP_RTP_MIN_LEN + 4u * (pkt[0] & 0x0f);

	if (pkt[0] & 0x10)
		hdr += 4 + 4u * rd16(pkt + hdr + 2);
	return hdr;
}

void dp_tx_stats_rtp(struct dp_tx_stats *st, const uint8_t *pkt, size_t len)
{
	size_t payload;
	unsigned i;

	if (!dp_rtp_is_valid(pkt, len))
		return;
	/* RFC 3550 §6.4.1: the octet count is of payload, without header or padding. */
	payload = len - rtp_hdr_len(pkt);
	if (pkt[0] & 0x20)
		payload -= pkt[len - 1];
	if (st->nb > DP_RTCP_MAX_TX)
		st->nb = DP_RTCP_MAX_TX;
	for (i = 0; i < st->nb; i++)
		if (st->s[i].ssrc == dp_rd32(pkt + 8))
			break;
	if (i == st->nb) {
		if (st->nb < DP_RTCP_MAX_TX) {
			st->nb++;
		} else {
			/* Replace the least recently used: the oldest tick, modulo 2^32. */
			i = 0;
			for (unsigned j = 1; j < DP_RTCP_MAX_TX; j++)
				if (st->tick - st->s[j].last_tick > st->tick - st->s[i].last_tick)
					i = j;
		}
		st->s[i].ssrc = dp_rd32(pkt + 8);
		st->s[i].pkts = 0;
		st->s[i].octets = 0;
	}
	st->s[i].pkts++;
	st->s[i].octets += (uint32_t)payload;
	st->s[i].last_tick = ++st->tick;
}

/* Remember what an SR said, for the LSR and DLSR of the reports to its sender. */
static void take_sr(const uint8_t *p, struct dp_rx_stats *rx, uint64_t now_ns,
		    struct dp_sr_info *sr)
{
	struct dp_rx_stream *s;

	sr->ssrc = dp_rd32(p + 4);
	sr->ntp = (uint64_t)dp_rd32(p + 8) << 32 | dp_rd32(p + 12);
	sr->rtp_ts = dp_rd32(p + 16);
	s = rx != NULL ? find_rx(rx, sr->ssrc) : NULL;
	if (s != NULL) {
		/* RFC 3550 §6.4.1: LSR is the middle 32 bits of the SR's NTP timestamp. */
		s->lsr = (uint32_t)(sr->ntp >> 16);
		s->lsr_ns = now_ns;
		s->has_sr = true;
	}
}

size_t dp_rtcp_consume(uint8_t *pkt, size_t len, struct dp_rx_stats *rx, uint64_t now_ns,
		       struct dp_sr_info *srs, unsigned max_sr, unsigned *nb_sr)
{
	size_t off = 0, kept = 0;
	unsigned nb = 0;

	if (nb_sr != NULL)
		*nb_sr = 0;
	if (pkt == NULL || !dp_rtcp_is_valid(pkt, len))
		return 0;
	/* RFC 3550 §6.1: packets of 4 * (length + 1) bytes back to back. */
	while (len - off >= 4) {
		uint8_t *p = pkt + off;
		size_t plen = 4 * ((size_t)rd16(p + 2) + 1);

		if (plen > len - off)
			break;
		if (p[1] == DP_RTCP_SR) {
			/* Header and SSRC (8), then 20 bytes of sender info. */
			if (plen >= DP_RTCP_SR_LEN) {
				struct dp_sr_info sr;

				take_sr(p, rx, now_ns, &sr);
				if (srs != NULL && nb < max_sr)
					srs[nb++] = sr;
			}
		} else if (p[1] != DP_RTCP_RR) {
			if (kept != off)
				memmove(pkt + kept, p, plen);
			kept += plen;
		}
		off += plen;
	}
	if (nb_sr != NULL)
		*nb_sr = nb;
	/* A lone bare header (an empty SDES, say) says nothing, and is no valid compound. */
	return kept >= DP_RTCP_MIN_LEN ? kept : 0;
}

size_t dp_rtcp_build_sr(const struct dp_tx_stats *tx, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
			uint8_t *buf, size_t size)
{
	unsigned nb = tx->nb < DP_RTCP_MAX_TX ? tx->nb : DP_RTCP_MAX_TX;
	unsigned i;

	if (buf == NULL || size < DP_RTCP_SR_LEN)
		return 0;
	for (i = 0; i < nb; i++)
		if (tx->s[i].ssrc == ssrc)
			break;
	if (i == nb)
		return 0;
	/* RFC 3550 §6.4.1: V=2, no padding, RC=0, PT=200, length 6 words after the first. */
	buf[0] = 0x80;
	buf[1] = DP_RTCP_SR;
	wr16(buf + 2, DP_RTCP_SR_LEN / 4 - 1);
	dp_wr32(buf + 4, ssrc);
	dp_wr32(buf + 8, (uint32_t)(ntp >> 32));
	dp_wr32(buf + 12, (uint32_t)ntp);
	dp_wr32(buf + 16, rtp_ts);
	dp_wr32(buf + 20, tx->s[i].pkts);
	dp_wr32(buf + 24, tx->s[i].octets);
	return DP_RTCP_SR_LEN;
}

/* RFC 3550 §6.4.1, A.3: one report block about s at p (24 bytes), and the next interval. */
static void write_block(uint8_t *p, struct dp_rx_stream *s, uint64_t now_ns)
{
	uint32_t ext_max = s->cycles + s->max_seq;
	uint32_t expected = ext_max - s->base_seq + 1;
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost = (int64_t)expected - s->received;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;
	uint64_t jitter = s->jitter_q4 >> 4;
	uint32_t fraction = 0, dlsr = 0;

	/* Duplicates can make the loss negative: the field is 24-bit signed, clamped. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	if (expected_interval != 0 && lost_interval > 0) {
		fraction = (uint32_t)(((uint64_t)lost_interval << 8) / expected_interval);
		if (fraction > 255)
			fraction = 255;
	}
	/* DLSR: the time since that SR came, in units of 1/65536 s (saturating at 65536 s). */
	if (s->has_sr && now_ns > s->lsr_ns) {
		uint64_t d = now_ns - s->lsr_ns;

		dlsr = d >= 65536 * NS_PER_S ? UINT32_MAX : (uint32_t)((d << 16) / NS_PER_S);
	}
	dp_wr32(p, s->ssrc);
	dp_wr32(p + 4, fraction << 24 | ((uint32_t)lost & 0xffffff));
	dp_wr32(p + 8, ext_max);
	dp_wr32(p + 12, jitter > UINT32_MAX ? UINT32_MAX : (uint32_t)jitter);
	dp_wr32(p + 16, s->has_sr ? s->lsr : 0);
	dp_wr32(p + 20, s->has_sr ? dlsr : 0);
	s->expected_prior = expected;
	s->received_prior = s->received;
	s->is_heard = false;
}

size_t dp_rtcp_build_rr(struct dp_rx_stats *rx, uint32_t reporter_ssrc, const char *cname,
			uint64_t now_ns, uint8_t *buf, size_t size)
{
	unsigned nb_rx = rx->nb < DP_RTCP_MAX_RX ? rx->nb : DP_RTCP_MAX_RX;
	unsigned nb = 0;
	size_t cname_len = 0, sdes_len = 0, len;

	for (unsigned i = 0; i < nb_rx; i++)
		if (rx->s[i].probation == 0 && rx->s[i].is_heard)
			nb++;
	if (nb == 0)
		return 0;
	if (cname != NULL) {
		cname_len = strnlen(cname, 256);
		if (cname_len == 0 || cname_len > 255)
			return 0;
		/* RFC 3550 §6.5: header, SSRC, the item (type, length, text), then at least one
		 * null octet ending the item list, up to the next 32-bit boundary. */
		sdes_len = 8 + ((2 + cname_len + 4) & ~(size_t)3);
	}
	len = 8 + 24 * (size_t)nb + sdes_len;
	if (buf == NULL || size < len)
		return 0;
	/* RFC 3550 §6.4.2: V=2, no padding, RC report blocks, PT=201. */
	buf[0] = (uint8_t)(0x80 | nb);
	buf[1] = DP_RTCP_RR;
	wr16(buf + 2, (uint16_t)((8 + 24 * nb) / 4 - 1));
	dp_wr32(buf + 4, reporter_ssrc);
	len = 8;
	for (unsigned i = 0; i < nb_rx; i++) {
		if (rx->s[i].probation != 0 || !rx->s[i].is_heard)
			continue;
		write_block(buf + len, &rx->s[i], now_ns);
		len += 24;
	}
	if (sdes_len != 0) {
		uint8_t *p = buf + len;

		/* One chunk (SC=1), PT=202, with the CNAME item (type 1). */
		memset(p, 0, sdes_len);
		p[0] = 0x81;
		p[1] = DP_RTCP_SDES;
		wr16(p + 2, (uint16_t)(sdes_len / 4 - 1));
		dp_wr32(p + 4, reporter_ssrc);
		p[8] = 1;
		p[9] = (uint8_t)cname_len;
		memcpy(p + 10, cname, cname_len);
		len += sdes_len;
	}
	return len;
}
