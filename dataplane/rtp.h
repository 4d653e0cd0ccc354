/* SPDX-License-Identifier: MIT */
/* RTP and RTCP header checks and the rewrites of a flow output (RFC 3550, RFC 4585, RFC 5104). */
#ifndef PONTE_DP_RTP_H
#define PONTE_DP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>

#define DP_RTP_MIN_LEN 12
#define DP_RTCP_MIN_LEN 8

/* RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2). */
enum {
	DP_RTCP_SR = 200,
	DP_RTCP_RR = 201,
	DP_RTCP_SDES = 202,
	DP_RTCP_BYE = 203,
	DP_RTCP_APP = 204,
	DP_RTCP_RTPFB = 205,
	DP_RTCP_PSFB = 206,
	DP_RTCP_XR = 207,
};

/* A plain RTP packet's header is whole: version 2, CSRCs and extension inside the packet. */
bool dp_rtp_is_valid(const uint8_t *pkt, size_t len);

/* A plain RTCP compound packet is whole: every packet version 2, lengths adding up exactly. */
bool dp_rtcp_is_valid(const uint8_t *pkt, size_t len);

static inline uint32_t dp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void dp_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Apply an output's payload type map and SSRC translation (with its sequence and timestamp
 * deltas) to a valid plain RTP packet, in place. Returns false when the packet must not be
 * sent (payload type mapped to PONTE_PT_DROP).
 */
bool dp_rtp_rewrite(uint8_t *pkt, const struct ponte_flow_output *out);

/*
 * Translate every SSRC field of a valid plain RTCP compound packet, in place. An SR whose
 * sender SSRC a map translates also gets that map's ts_delta on its RTP timestamp, so that its
 * NTP/RTP pair still describes the stream as the output sends it (ssrc_any has no delta).
 */
void dp_rtcp_rewrite(uint8_t *pkt, size_t len, const struct ponte_flow_output *out);

/*
 * The SSRC under which an output sends the stream that arrives as ssrc (its map's to, else
 * ssrc_any when set, else ssrc itself), and in *ts_delta (may be NULL) what that output adds
 * to the stream's RTP timestamps. Used to build per-output SRs (rtcp_term.h).
 */
uint32_t dp_ssrc_out(const struct ponte_flow_output *out, uint32_t ssrc, uint32_t *ts_delta);

/* out sends the stream that arrives as ssrc under ssrc_any: it has one, and no map names ssrc. */
bool dp_ssrc_is_any(const struct ponte_flow_output *out, uint32_t ssrc);

/*
 * Stream continuity of an output with ssrc_any. Every incoming stream that no map names leaves
 * as the one SSRC ssrc_any, so a new stream (a phone's new SSRC after a re-INVITE, another
 * phone after a transfer) must also continue the sequence numbers and timestamps of the old
 * one, or the receiver sees one SSRC leap (RFC 3550 §5.1 says both start at random values; a
 * jitter buffer takes the leap for loss or reordering). The first stream passes with its
 * timestamps and, less 32768 when it starts at or above that, its sequence numbers (below 2^15
 * at first: no rollover before an SRTP receiver has its first packet, RFC 3711 §3.3.1); each
 * later one gets a sequence delta making its first packet follow the last one sent, and a
 * timestamp delta advancing the last timestamp sent by the time elapsed since. Its first
 * packet gets the marker bit, as the start of a talkspurt (RFC 3551 §4.1). Late packets of a
 * replaced stream are dropped for DP_CONT_STALE_NS after it was replaced; after that, a stream
 * that comes back is a new switch (a call transferred back).
 *
 * Zero-initialised state is empty and ready. It belongs to the thread that owns the flow.
 */
#define DP_CONT_STALE_NS 1000000000ull
#define DP_CONT_MAX_OLD 4 /* replaced streams remembered, for their late packets */
#define DP_CONT_CLOCK_HZ 8000 /* the clock assumed when the payload type's is unknown */

struct dp_rtp_cont {
	bool has_stream; /* a packet was sent: the fields below mean something */
	uint32_t in_ssrc; /* the incoming stream being sent now */
	uint16_t seq_delta; /* added to its sequence numbers (mod 2^16) */
	uint32_t ts_delta; /* added to its timestamps (mod 2^32) */
	/* The packet with the highest sequence number sent so far, as sent, and when. */
	uint16_t last_seq;
	uint32_t last_ts;
	uint64_t last_ns;
	struct {
		uint32_t ssrc;
		uint64_t until_ns; /* its packets are dropped until then */
	} old[DP_CONT_MAX_OLD];
};

/* What dp_rtp_cont_apply made of a packet. */
enum dp_cont_verdict {
	DP_CONT_NONE, /* not a stream of ssrc_any: nothing done */
	DP_CONT_SAME, /* the stream being sent: its deltas applied */
	DP_CONT_SWITCH, /* a new stream, joined to the one before: deltas set and applied */
	DP_CONT_STALE, /* a late packet of a replaced stream: do not send it */
};

/*
 * A valid plain RTP packet whose incoming SSRC was in_ssrc is about to leave through out at
 * now_ns (CLOCK_MONOTONIC), already rewritten by dp_rtp_rewrite. When out has ssrc_any and
 * no map names in_ssrc: decide as above, shift pkt's sequence number and timestamp in place,
 * set the marker on a switch, and remember pkt as sent (the caller drops it on
 * DP_CONT_STALE). clock_hz is the RTP clock of its payload type (0: DP_CONT_CLOCK_HZ).
 */
enum dp_cont_verdict dp_rtp_cont_apply(struct dp_rtp_cont *c, const struct ponte_flow_output *out,
				       uint32_t in_ssrc, uint8_t *pkt, uint32_t clock_hz,
				       uint64_t now_ns);

/*
 * The timestamp delta that c applies to in_ssrc, for the SRs of that stream (RFC 3550 §6.4.1:
 * an SR's RTP timestamp is in the timestamp space of the packets sent): true and *ts_delta
 * when in_ssrc is the stream being sent (or nothing was sent yet: delta 0), false when it is
 * another one, whose SRs would describe a timeline the receiver is not shown.
 */
bool dp_rtp_cont_ts_delta(const struct dp_rtp_cont *c, uint32_t in_ssrc, uint32_t *ts_delta);

/*
 * Add ts_delta to the RTP timestamp of every SR from ssrc in a valid plain RTCP compound, in
 * place; before dp_rtcp_rewrite, which renames the sender.
 */
void dp_rtcp_shift_sr(uint8_t *pkt, size_t len, uint32_t ssrc, uint32_t ts_delta);

#endif
