/* SPDX-License-Identifier: MIT */
/*
 * RTCP termination per leg (RFC 3550 §6.4, appendix A): the gateway keeps receiver statistics
 * for every stream a flow receives and answers its sender with its own Receiver Reports; on
 * each output it sends the sender's SR again with the packet and octet counts of that leg. The
 * report blocks that arrive (in RRs and SRs) describe the other leg, so they are consumed.
 *
 * Pure packet and state logic shared by the backends: no allocation, no locks, no clock reads.
 * Times come in as now_ns (CLOCK_MONOTONIC nanoseconds) and, in SRs, as 32.32 NTP. The state
 * of one flow or output belongs to the dataplane thread that owns that flow; zero-initialised
 * state (memset 0 or = {0}) is empty and ready.
 */
#ifndef PONTE_DP_RTCP_TERM_H
#define PONTE_DP_RTCP_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>

#define DP_RTCP_MAX_RX 8			      /* incoming SSRCs tracked per flow */
#define DP_RTCP_MAX_TX (PONTE_FLOW_MAX_SSRC_MAPS + 1) /* outgoing SSRCs per output: maps + any */
#define DP_RTCP_SR_LEN 28			      /* an SR without report blocks */
/* The most dp_rtcp_build_rr writes: an RR of DP_RTCP_MAX_RX blocks, an SDES of a 255-byte CNAME. */
#define DP_RTCP_RR_MAX_LEN (8 + 24 * DP_RTCP_MAX_RX + 8 + 260)

/* What the gateway knows of one incoming stream, RFC 3550 A.1, A.3 and A.8. What each RTP
 * packet reads or writes first, in 48 bytes (struct dp_flow puts the first stream's in the
 * line of its receiver statistics' count); what reports use after. */
struct dp_rx_stream {
	uint32_t ssrc;
	uint32_t clock_hz; /* RTP clock rate, 0: unknown (no jitter) */
	/* A.1: sequence numbers. cycles counts wraps, shifted left by 16. */
	uint16_t max_seq;
	uint16_t probation; /* sequential packets still needed before the source is valid */
	uint32_t cycles;
	uint32_t bad_seq; /* the one after a big jump; 65537: none */
	uint32_t received;
	/* A.8: relative transit time of the previous in-order packet and the jitter estimate,
	 * both in timestamp units; the jitter is scaled by 16 (A.8's integer form). */
	uint32_t transit;
	bool has_transit;
	bool is_heard; /* a valid RTP packet arrived since the last report */
	uint64_t jitter_q4;
	uint64_t last_ns; /* last RTP packet, for replacing the least recently seen */
	uint32_t base_seq;
	/* A.3: the counts at the last report, for the fraction lost of the next. */
	uint32_t expected_prior;
	uint32_t received_prior;
	/* The last SR from this SSRC: the middle 32 bits of its NTP time, and when it came. */
	uint32_t lsr;
	bool has_sr;
	uint64_t lsr_ns;
};

/* Receiver statistics of one flow. */
struct dp_rx_stats {
	unsigned nb;
	struct dp_rx_stream s[DP_RTCP_MAX_RX];
};

/* What one output sent, per SSRC as on the wire (RFC 3550 §6.4.1 sender info). */
struct dp_tx_stats {
	unsigned nb;
	uint32_t tick; /* counts packets, to find the least recently used entry */
	struct {
		uint32_t ssrc;
		uint32_t pkts;	 /* wraps, as the SR field does */
		uint32_t octets; /* payload octets: no header, no padding */
		uint32_t last_tick;
	} s[DP_RTCP_MAX_TX];
};

/* What one SR said: its sender SSRC and NTP (32.32) / RTP timestamp pair. */
struct dp_sr_info {
	uint32_t ssrc;
	uint64_t ntp;
	uint32_t rtp_ts;
};

/*
 * A valid plain RTP packet (dp_rtp_is_valid) arrived at now_ns from a stream whose RTP clock
 * runs at clock_hz (0: unknown, no jitter). Applies A.1 (probation of new sources, wraps,
 * restarts after a jump), counts it, and updates the A.8 jitter for in-order packets. When all
 * DP_RTCP_MAX_RX entries are taken, a new SSRC replaces the least recently seen one.
 */
void dp_rx_stats_rtp(struct dp_rx_stats *st, const uint8_t *pkt, size_t len, uint64_t now_ns,
		     uint32_t clock_hz);

/*
 * A plain RTP packet was sent on an output, as it went on the wire (after dp_rtp_rewrite):
 * count it and its payload octets under its SSRC. Invalid packets are not counted. When all
 * DP_RTCP_MAX_TX entries are taken, a new SSRC replaces the least recently used one.
 */
void dp_tx_stats_rtp(struct dp_tx_stats *st, const uint8_t *pkt, size_t len);

/*
 * Consume an incoming plain compound RTCP packet (dp_rtcp_is_valid) in place, at now_ns:
 * every SR's NTP time becomes the LSR of its sender's entry in rx (entries are only made by
 * RTP), up to max_sr SRs are copied to srs (may be NULL when max_sr is 0) and their number to
 * *nb_sr (may be NULL), and the SR and RR packets, report blocks included, are cut out by
 * moving the packets after them forward. What remains (SDES, BYE, APP, feedback, XR) keeps its
 * bytes and order; it may not begin with an SR or RR any more, so a caller that must send RFC
 * 3550 compounds puts the SR it builds for the output (dp_rtcp_build_sr) in front.
 * Returns the new length, which dp_rtcp_is_valid accepts, or 0 when nothing is left to
 * forward (at most a bare 4-byte header) or the compound was not valid.
 */
size_t dp_rtcp_consume(uint8_t *pkt, size_t len, struct dp_rx_stats *rx, uint64_t now_ns,
		       struct dp_sr_info *srs, unsigned max_sr, unsigned *nb_sr);

/*
 * Write an SR without report blocks into buf: sender ssrc, the ntp / rtp_ts pair, and the
 * packet and octet counts tx has for ssrc. ssrc and rtp_ts are as the output sends the stream
 * (dp_ssrc_out in rtp.h gives them for an incoming SR). Returns DP_RTCP_SR_LEN, or 0 when size
 * is smaller or the output has sent nothing under ssrc (no SR for a stream its receiver never
 * saw).
 */
size_t dp_rtcp_build_sr(const struct dp_tx_stats *tx, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
			uint8_t *buf, size_t size);

/*
 * Write a compound RR into buf, from reporter_ssrc, with one report block per stream of rx
 * that is valid (out of probation) and was heard since the last report (RFC 3550 §6.4): A.3
 * fraction and cumulative number lost, extended highest sequence number, A.8 jitter, LSR and
 * DLSR (1/65536 s, 0 when no SR came). Then an SDES with the CNAME cname (1 to 255 bytes;
 * NULL: no SDES). Starts the next report's interval (A.3's prior counts). Returns the length,
 * or 0, and changes nothing, when no stream has anything to report, cname is empty or longer
 * than 255 bytes, or size is too small (DP_RTCP_RR_MAX_LEN is always enough).
 */
size_t dp_rtcp_build_rr(struct dp_rx_stats *rx, uint32_t reporter_ssrc, const char *cname,
			uint64_t now_ns, uint8_t *buf, size_t size);

#endif
