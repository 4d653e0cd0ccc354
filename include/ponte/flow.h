/* SPDX-License-Identifier: MIT */
/**
 * @file flow.h
 * The flow interface: how the control plane installs forwarding state in a dataplane.
 *
 * A flow says what to do with the media packets that arrive on one dataplane port from one
 * remote address: unprotect them with given SRTP keys, then send a copy through each output,
 * rewritten (SSRC, payload type, sequence and timestamp) and protected with that output's own
 * keys. Specs are plain data (no pointers), copied on every call; keys travel as values and
 * are wiped by whoever drops a copy. A flow is live only once its add has completed: packets
 * never see a half-built entry.
 *
 * Threading: every function of this interface is called from one control thread.
 */
#ifndef PONTE_FLOW_H
#define PONTE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <ponte/srtp.h>

/** An IPv4 or IPv6 address and UDP port, plain data. */
struct ponte_addr {
	uint16_t family; /**< AF_INET, AF_INET6, or 0 for "none / any" */
	uint16_t port; /**< host byte order */
	uint8_t ip[16]; /**< network byte order; IPv4 uses the first 4 bytes */
};

#define PONTE_FLOW_MAX_OUTPUTS 16
#define PONTE_FLOW_MAX_SSRC_MAPS 8
#define PONTE_PT_KEEP 0xff /**< pt_map value: leave this payload type as it is */
#define PONTE_PT_DROP 0xfe /**< pt_map value: do not send packets of this payload type */
/** Receiver report intervals (ponte_flow_spec.report_interval_ms). Audio: RFC 3550 §6.2's
 * minimum, what libwebrtc and Asterisk use for audio; a gateway terminating RTCP of 200,000
 * flows on one core sends 40,000 reports a second rather than 200,000. Video: libwebrtc's,
 * which feedback-based congestion control and RTT estimates need (RFC 4585 allows it). */
#define PONTE_REPORT_MS_AUDIO 5000
#define PONTE_REPORT_MS_VIDEO 1000

/**
 * One SSRC translation. It applies to every SSRC field of the packets sent through an output:
 * the RTP header's SSRC, and in RTCP the sender and media-source SSRCs and report blocks, so
 * that feedback (PLI, NACK, RR) names the stream the receiver knows.
 */
struct ponte_ssrc_map {
	uint32_t from;
	uint32_t to;
	uint16_t seq_delta; /**< added to the RTP sequence number (mod 2^16) */
	uint32_t ts_delta; /**< added to the RTP timestamp (mod 2^32) */
};

/**
 * What an output receives from its flow. An output with neither RTP nor RTCP carries only
 * what the control plane injects (ponte_dp_flow_inject) and, with PONTE_OUT_REPORTS, the
 * dataplane's own reports: the way back to the flow's own source.
 */
enum ponte_flow_out_kind {
	PONTE_OUT_RTP = 1 << 0,
	PONTE_OUT_RTCP = 1 << 1,
	PONTE_OUT_REPORTS = 1 << 2, /**< receiver reports about the flow's streams go here */
};

/**
 * One destination of a flow's packets. Ordered for the packet: what every packet sent
 * through it reads (port, destination, kinds, ssrc_any, dst_latch_flow) first, then pt_map
 * (static payload types in the same 64 bytes), the SSRC maps, the keys last.
 */
struct ponte_flow_output {
	uint32_t port_id; /**< dataplane port to send from (its local address and socket) */
	struct ponte_addr dst; /**< where to send */
	uint8_t kinds; /**< enum ponte_flow_out_kind bits */
	uint8_t nb_ssrc_maps;
	/** When not 0: the SSRC of RTP packets, and the sender SSRC of RTCP packets, that no map
	 * names becomes this one. For a peer whose SSRC is not known in advance (a SIP phone)
	 * whose stream must reach the other leg as the one SSRC announced there.
	 *
	 * The receiver sees one stream, also when the source's stream changes (a new SSRC after
	 * a re-INVITE, another phone after a transfer): the first stream passes with its own
	 * sequence numbers and timestamps; each later one is shifted so that its first packet
	 * follows the last one sent (sequence + 1, timestamp + the time elapsed since, at the
	 * flow's clock_khz for its payload type, 8 kHz when unknown) and carries the marker bit.
	 * Packets of a replaced stream arriving within a second of the switch are dropped
	 * (PONTE_DROP_STALE); one that comes back later is a new switch. SRs of the stream are
	 * shifted likewise; with PONTE_RTCP_TERMINATE, a replaced stream's SRs make none. The
	 * state lives with the output and survives a modify that keeps its port and dst.
	 * Injected packets are sent as they are. */
	uint32_t ssrc_any;
	/** When not 0: the id of a latching flow (see ponte_flow_spec.is_latching); once that
	 * flow has latched to a source, packets go there instead of to dst. Symmetric RTP (RFC
	 * 4961): a phone behind NAT receives where it really sends from, not at its SDP address. */
	uint64_t dst_latch_flow;
	/** Payload type rewrite, indexed by the incoming type (0..127): the outgoing type,
	 * PONTE_PT_KEEP or PONTE_PT_DROP. */
	uint8_t pt_map[128];
	struct ponte_ssrc_map ssrc_maps[PONTE_FLOW_MAX_SSRC_MAPS];
	struct ponte_srtp_key srtp; /**< protect with these keys; PONTE_SRTP_NULL: plain */
};

/** What happens to RTCP arriving on a flow. */
enum ponte_flow_rtcp {
	PONTE_RTCP_FORWARD = 0, /**< to the outputs that take PONTE_OUT_RTCP, translated */
	PONTE_RTCP_DROP,
	/**
	 * Per leg (RFC 3550 §7.1, as an RTP translator that rewrites sequence numbers must): the
	 * sender's SRs are consumed and each output that takes RTCP gets an SR of its own, with
	 * the packet and octet counts of what it was really sent and the sender's NTP/RTP
	 * mapping translated; RR report blocks are consumed; feedback (NACK, PLI, FIR, REMB),
	 * SDES and BYE are forwarded, translated. The dataplane keeps receiver statistics of the
	 * flow's streams and sends its own receiver reports about them, about once a second,
	 * through the output marked PONTE_OUT_REPORTS.
	 */
	PONTE_RTCP_TERMINATE,
};

/** A flow, as installed. id is chosen by the control plane and unique per dataplane. */
struct ponte_flow_spec {
	uint64_t id;
	uint32_t port_id; /**< dataplane port the packets arrive on */
	/** The remote address packets must come from. family 0 matches any source on this port
	 * (a port-wide flow); with is_latching, the first source seen is then kept (symmetric
	 * RTP for phones behind NAT). */
	struct ponte_addr src;
	bool is_latching;
	/** With is_latching: a modify keeps the source latched so far only when latch_epoch is
	 * the same as before. The control plane bumps it when the peer's media address changes
	 * (a re-INVITE, a transfer) so that the flow latches anew to the first source it then
	 * sees; until then, outputs with dst_latch_flow naming it send to their own dst. */
	uint32_t latch_epoch;
	uint8_t rtcp; /**< enum ponte_flow_rtcp */
	/** PONTE_RTCP_TERMINATE: the mean interval between the gateway's receiver reports, in
	 * ms; each is drawn in [0.75, 1.25) of it, so that flows set up together do not report
	 * together (RFC 3550 §6.3.1 randomises for the same reason). The first one goes about a
	 * second after the flow's first packet, whatever the interval. 0: PONTE_REPORT_MS_VIDEO. */
	uint16_t report_interval_ms;
	/** PONTE_RTCP_TERMINATE: the sender SSRC and SDES CNAME ("": none) of the gateway's
	 * receiver reports about this flow's streams. */
	uint32_t report_ssrc;
	char report_cname[32];
	/** When not 0: this flow carries the RTCP of the streams whose RTP arrives on flow
	 * rtp_flow (a SIP phone without rtcp-mux sends it to another port): their statistics,
	 * and the counts its SRs get, are that flow's. */
	uint64_t rtp_flow;
	/** RTP clock rate by incoming payload type, in kHz (8, 16, 48, 90), for the jitter of
	 * receiver reports; 0: unknown (jitter reported as 0). */
	uint8_t clock_khz[128];
	/** RTP packets of this payload type (0..127) are also handed to the control plane, plain,
	 * through the punt queue (ponte_dp_punt_read, port_id the flow's): telephone-events
	 * (RFC 4733) whose digits the control plane reports. PONTE_PT_KEEP (0xff): none. */
	uint8_t mirror_pt;
	/** With mirror_pt: its packets go to the control plane only, no output sends them. They
	 * still count as received (rtp_in, receiver statistics), not as drops: the control plane
	 * consumes them (a browser's telephone-events it turns into SIP INFO requests). */
	bool is_mirror_only;
	struct ponte_srtp_key srtp; /**< unprotect with these keys; PONTE_SRTP_NULL: plain */
	uint8_t nb_outputs;
	struct ponte_flow_output outputs[PONTE_FLOW_MAX_OUTPUTS];
};

/** Why packets were dropped; indexes ponte_flow_stats.drops. */
enum ponte_drop_reason {
	PONTE_DROP_MALFORMED, /**< not RTP/RTCP, or a header that overruns the packet */
	PONTE_DROP_AUTH, /**< SRTP/SRTCP authentication failed */
	PONTE_DROP_REPLAY, /**< SRTP replay or too old for the window */
	PONTE_DROP_PT, /**< payload type mapped to PONTE_PT_DROP */
	PONTE_DROP_TX, /**< could not be sent (socket error, full queue) */
	PONTE_DROP_SOURCE, /**< came from another address than the flow expects */
	/** RTP of a stream that an ssrc_any output replaced, arriving late (counted once per
	 * such output) */
	PONTE_DROP_STALE,
	PONTE_DROP_NB
};

/** Counters of one flow; each is written by one dataplane thread and read atomically. The
 * ones every packet moves come first (one cache line with the entry's flags, pipeline.h). */
struct ponte_flow_stats {
	uint64_t rtp_in, bytes_in;
	uint64_t pkts_out, bytes_out;
	uint64_t last_in_ns; /**< CLOCK_MONOTONIC time of the last accepted packet, 0: none */
	uint64_t rtcp_in;
	/** Times an ssrc_any output's stream was joined to a new incoming one (see
	 * ponte_flow_output.ssrc_any). */
	uint64_t ssrc_switches;
	uint64_t drops[PONTE_DROP_NB];
	/** PONTE_RTCP_TERMINATE: the gateway's own receiver reports sent back to the source,
	 * and the SRs it made for the outputs. */
	uint64_t reports_out, srs_out;
};

/** Fill a ponte_addr from a textual IP and a port; 0 or -EINVAL. */
int ponte_addr_parse(struct ponte_addr *a, const char *ip, uint16_t port);
/** "1.2.3.4:5" or "[::1]:5" into buf (at least 56 bytes). Returns buf. */
const char *ponte_addr_str(const struct ponte_addr *a, char *buf, unsigned long size);
bool ponte_addr_equal(const struct ponte_addr *a, const struct ponte_addr *b);

/** Initialise spec: no outputs, plain RTP, pt_map all KEEP. */
void ponte_flow_spec_init(struct ponte_flow_spec *spec, uint64_t id, uint32_t port_id);
/** Append an output with pt_map all KEEP, RTP and RTCP; returns it or NULL when full. */
struct ponte_flow_output *ponte_flow_add_output(struct ponte_flow_spec *spec, uint32_t port_id,
						const struct ponte_addr *dst);

#endif
