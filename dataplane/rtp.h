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

#endif
