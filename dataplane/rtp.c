/* SPDX-License-Identifier: MIT */
#include "rtp.h"

#define NS_PER_S 1000000000ull
#define PSFB_FIR 4
#define PSFB_AFB 15 /* application layer feedback: REMB */

bool dp_rtp_is_valid(const uint8_t *pkt, size_t len)
{
	size_t hdr;

	if (len < DP_RTP_MIN_LEN || pkt[0] >> 6 != 2)
		return false;
	/* RFC 3550 §5.1: 12 bytes, then CC CSRCs, then the extension if X is set. */
	hdr = DP_RTP_MIN_LEN + 4u * (pkt[0] & 0x0f);
	if (pkt[0] & 0x10) {
		if (hdr + 4 > len)
			return false;
		hdr += 4 + 4u * ((size_t)pkt[hdr + 2] << 8 | pkt[hdr + 3]);
	}
	if (hdr > len)
		return false;
	/* RFC 3550 §5.1: the last padding octet counts the padding, itself included. */
	if ((pkt[0] & 0x20) && (pkt[len - 1] == 0 || pkt[len - 1] > len - hdr))
		return false;
	return true;
}

bool dp_rtcp_is_valid(const uint8_t *pkt, size_t len)
{
	size_t off = 0;

	if (len < DP_RTCP_MIN_LEN)
		return false;
	/* RFC 3550 §6.1: a compound packet is a run of packets, each length words + 1 long. */
	while (off < len) {
		size_t plen;

		if (len - off < 4 || pkt[off] >> 6 != 2)
			return false;
		plen = 4 * ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1);
		if (plen > len - off)
			return false;
		off += plen;
	}
	return true;
}

static const struct ponte_ssrc_map *find_map(const struct ponte_flow_output *out, uint32_t ssrc)
{
	for (unsigned i = 0; i < out->nb_ssrc_maps; i++)
		if (out->ssrc_maps[i].from == ssrc)
			return &out->ssrc_maps[i];
	return NULL;
}

bool dp_rtp_rewrite(uint8_t *pkt, const struct ponte_flow_output *out)
{
	uint8_t pt = pkt[1] & 0x7f;
	uint8_t to = out->pt_map[pt];
	const struct ponte_ssrc_map *m;

	if (to == PONTE_PT_DROP)
		return false;
	if (to != PONTE_PT_KEEP)
		pkt[1] = (uint8_t)((pkt[1] & 0x80) | (to & 0x7f));
	m = out->nb_ssrc_maps ? find_map(out, dp_rd32(pkt + 8)) : NULL;
	if (m == NULL && out->ssrc_any != 0) {
		dp_wr32(pkt + 8, out->ssrc_any);
	} else if (m != NULL) {
		uint16_t seq = (uint16_t)((pkt[2] << 8 | pkt[3]) + m->seq_delta);

		pkt[2] = (uint8_t)(seq >> 8);
		pkt[3] = (uint8_t)seq;
		dp_wr32(pkt + 4, dp_rd32(pkt + 4) + m->ts_delta);
		dp_wr32(pkt + 8, m->to);
	}
	return true;
}

static void map_at(uint8_t *p, const struct ponte_flow_output *out)
{
	const struct ponte_ssrc_map *m = find_map(out, dp_rd32(p));

	if (m != NULL)
		dp_wr32(p, m->to);
}

/* The packet sender's own SSRC: translated, or else replaced by ssrc_any when set. Returns the
 * map that translated it, NULL when none did. */
static const struct ponte_ssrc_map *map_sender_at(uint8_t *p, const struct ponte_flow_output *out)
{
	const struct ponte_ssrc_map *m = find_map(out, dp_rd32(p));

	if (m != NULL)
		dp_wr32(p, m->to);
	else if (out->ssrc_any != 0)
		dp_wr32(p, out->ssrc_any);
	return m;
}

uint32_t dp_ssrc_out(const struct ponte_flow_output *out, uint32_t ssrc, uint32_t *ts_delta)
{
	const struct ponte_ssrc_map *m = find_map(out, ssrc);

	if (ts_delta != NULL)
		*ts_delta = m != NULL ? m->ts_delta : 0;
	if (m != NULL)
		return m->to;
	return out->ssrc_any != 0 ? out->ssrc_any : ssrc;
}

/* One RTCP packet of plen bytes (already bounds-checked as a whole). */
static void rewrite_one(uint8_t *p, size_t plen, const struct ponte_flow_output *out)
{
	const struct ponte_ssrc_map *m;
	unsigned count = p[0] & 0x1f;
	size_t off;

	/* Every packet type below starts with a sender or source SSRC: a packet too short for
	 * one (length 0, a bare header) has nothing to translate, and writing would spill into
	 * the next packet of the compound. */
	if (plen < 8)
		return;
	switch (p[1]) {
	case DP_RTCP_SR:
	case DP_RTCP_RR:
		/* RFC 3550 §6.4: sender SSRC, [20-byte sender info], report blocks of 24. */
		m = map_sender_at(p + 4, out);
		/* RFC 3550 §6.4.1: the SR's RTP timestamp is in the sender's timestamp space,
		 * which the output shifts by the map's delta like the RTP packets it sends. */
		if (p[1] == DP_RTCP_SR && m != NULL && plen >= 28)
			dp_wr32(p + 16, dp_rd32(p + 16) + m->ts_delta);
		off = p[1] == DP_RTCP_SR ? 28 : 8;
		for (unsigned i = 0; i < count && off + 24 <= plen; i++, off += 24)
			map_at(p + off, out);
		break;
	case DP_RTCP_SDES:
		/* RFC 3550 §6.5: chunks of SSRC + items, each chunk padded to 32 bits. */
		off = 4;
		for (unsigned i = 0; i < count && off + 4 <= plen; i++) {
			map_sender_at(p + off, out);
			off += 4;
			while (off < plen && p[off] != 0) {
				if (off + 2 > plen)
					return;
				off += 2 + p[off + 1];
			}
			off = (off + 4) & ~(size_t)3;
		}
		break;
	case DP_RTCP_BYE:
		for (unsigned i = 0; i < count && 4 + 4 * (i + 1) <= plen; i++)
			map_sender_at(p + 4 + 4 * i, out);
		break;
	case DP_RTCP_APP:
	case DP_RTCP_XR:
		map_sender_at(p + 4, out);
		break;
	case DP_RTCP_RTPFB:
	case DP_RTCP_PSFB:
		/* RFC 4585 §6.1: packet sender and media source, then the FCI. */
		if (plen < 12)
			return;
		map_sender_at(p + 4, out);
		map_at(p + 8, out);
		if (p[1] == DP_RTCP_PSFB && count == PSFB_FIR) {
			/* RFC 5104 §4.3.1: FCI entries of SSRC + seq nr + reserved. */
			for (off = 12; off + 8 <= plen; off += 8)
				map_at(p + off, out);
		} else if (p[1] == DP_RTCP_PSFB && count == PSFB_AFB && plen >= 20 &&
			   dp_rd32(p + 12) == 0x52454d42 /* "REMB" */) {
			unsigned nb = p[16];

			for (unsigned i = 0; i < nb && 20 + 4 * (i + 1) <= plen; i++)
				map_at(p + 20 + 4 * i, out);
		}
		break;
	default:
		break;
	}
}

void dp_rtcp_rewrite(uint8_t *pkt, size_t len, const struct ponte_flow_output *out)
{
	size_t off = 0;

	if (out->nb_ssrc_maps == 0 && out->ssrc_any == 0)
		return;
	while (off + 4 <= len) {
		size_t plen = 4 * ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1);

		if (plen > len - off)
			return;
		rewrite_one(pkt + off, plen, out);
		off += plen;
	}
}

bool dp_ssrc_is_any(const struct ponte_flow_output *out, uint32_t ssrc)
{
	return out->ssrc_any != 0 && find_map(out, ssrc) == NULL;
}

static bool is_stale(const struct dp_rtp_cont *c, uint32_t ssrc, uint64_t now_ns)
{
	for (unsigned i = 0; i < DP_CONT_MAX_OLD; i++)
		if (c->old[i].ssrc == ssrc && now_ns < c->old[i].until_ns)
			return true;
	return false;
}

/* Remember a replaced stream in the slot that expires first (an expired one, if any). */
static void retire(struct dp_rtp_cont *c, uint32_t ssrc, uint64_t now_ns)
{
	unsigned k = 0;

	for (unsigned i = 1; i < DP_CONT_MAX_OLD; i++)
		if (c->old[i].until_ns < c->old[k].until_ns)
			k = i;
	c->old[k].ssrc = ssrc;
	c->old[k].until_ns = now_ns + DP_CONT_STALE_NS;
}

/* The RTP clock ticks in ns nanoseconds, modulo 2^32 (the wrap is the timestamp's own). */
static uint32_t ticks(uint64_t ns, uint32_t clock_hz)
{
	/* Split so that no product overflows: the remainder times the clock stays below 2^48. */
	return (uint32_t)(ns / NS_PER_S * clock_hz + ns % NS_PER_S * clock_hz / NS_PER_S);
}

enum dp_cont_verdict dp_rtp_cont_apply(struct dp_rtp_cont *c, const struct ponte_flow_output *out,
				       uint32_t in_ssrc, uint8_t *pkt, uint32_t clock_hz,
				       uint64_t now_ns)
{
	enum dp_cont_verdict v = DP_CONT_SAME;
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	uint32_t ts = dp_rd32(pkt + 4);
	bool is_newest = true;

	if (!dp_ssrc_is_any(out, in_ssrc))
		return DP_CONT_NONE;
	if (!c->has_stream) {
		/* The first stream: nothing to continue. Its sequence numbers go out below 2^15
		 * (less 32768 from a start at or above it): a receiver takes its first SRTP packet
		 * for rollover count 0 (RFC 3711 §3.3.1), and a start near 65535 whose first
		 * packets it misses (lost, or sent before its DTLS completed) would make it guess
		 * wrong and fail every packet after. libwebrtc starts below 2^15 for this. */
		c->has_stream = true;
		c->in_ssrc = in_ssrc;
		c->seq_delta = (uint16_t)(0u - (seq & 0x8000u));
		c->ts_delta = 0;
	} else if (in_ssrc != c->in_ssrc) {
		uint64_t elapsed = now_ns > c->last_ns ? now_ns - c->last_ns : 0;

		if (is_stale(c, in_ssrc, now_ns))
			return DP_CONT_STALE;
		retire(c, c->in_ssrc, now_ns);
		/* The new stream's first packet follows the last one sent, its media as far
		 * after that packet's as the time between them (RFC 3550 §5.1: the timestamp is
		 * the sampling instant). */
		c->in_ssrc = in_ssrc;
		c->seq_delta = (uint16_t)(c->last_seq + 1u - seq);
		c->ts_delta =
			c->last_ts + ticks(elapsed, clock_hz ? clock_hz : DP_CONT_CLOCK_HZ) - ts;
		/* RFC 3551 §4.1: the marker starts a talkspurt; receivers resynchronise there. */
		pkt[1] |= 0x80;
		v = DP_CONT_SWITCH;
	} else {
		is_newest = (int16_t)(uint16_t)(seq + c->seq_delta - c->last_seq) > 0;
	}
	seq = (uint16_t)(seq + c->seq_delta);
	ts += c->ts_delta;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	dp_wr32(pkt + 4, ts);
	/* A late packet of the stream is no reference: the next switch follows the newest. */
	if (is_newest) {
		c->last_seq = seq;
		c->last_ts = ts;
		c->last_ns = now_ns;
	}
	return v;
}

bool dp_rtp_cont_ts_delta(const struct dp_rtp_cont *c, uint32_t in_ssrc, uint32_t *ts_delta)
{
	*ts_delta = 0;
	if (!c->has_stream)
		return true;
	if (in_ssrc != c->in_ssrc)
		return false;
	*ts_delta = c->ts_delta;
	return true;
}

void dp_rtcp_shift_sr(uint8_t *pkt, size_t len, uint32_t ssrc, uint32_t ts_delta)
{
	size_t off = 0;

	/* RFC 3550 §6.4.1: header, sender SSRC, NTP timestamp (8), then the RTP timestamp. */
	while (off + 4 <= len) {
		uint8_t *p = pkt + off;
		size_t plen = 4 * ((size_t)(p[2] << 8 | p[3]) + 1);

		if (plen > len - off)
			return;
		if (p[1] == DP_RTCP_SR && plen >= 28 && dp_rd32(p + 4) == ssrc)
			dp_wr32(p + 16, dp_rd32(p + 16) + ts_delta);
		off += plen;
	}
}
