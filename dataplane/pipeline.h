/* SPDX-License-Identifier: MIT */
/*
 * What every backend does with a packet of an installed flow, whatever carries it (sockets,
 * DPDK mbufs): SRTP unprotect, checks, counters, receiver statistics, per-leg RTCP, and for
 * each output the rewrite, SRTP protect and hand-off to the backend's transmit.
 *
 * A backend owns the flow tables and the threads. It builds entries with dp_flow_build() on
 * its control thread, publishes them to one packet thread, and calls dp_pipe_input() there
 * for each media packet that matched an entry. One thread per entry: nothing here locks.
 */
#ifndef PONTE_DP_PIPELINE_H
#define PONTE_DP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>

#include "rtcp_term.h"
#include "rtp.h"
#include "srtp.h"

/* The size of every packet buffer the pipeline reads or writes: room for an SRTP tag and an
 * SRTCP index on top of the largest packet taken in. */
#define DP_PIPE_BUF 2048
#define DP_PIPE_PKT_MAX (DP_PIPE_BUF - 64)
/* How long, after a move, the source a latching flow leaves cannot latch it again (input_one():
 * its packets still on their way); 0.5 s, far more than a round trip. */
#define DP_LATCH_STALE_NS 500000000ull

/* Opaque to the pipeline: what the backend keeps per output to reach its destination without
 * a table lookup per packet (the DPDK backend: the next hop's MAC, with what it must check it
 * against: the destination and its neighbour table's generation). Zero when the entry is
 * built; the backend validates it on every use, so a copy carried across a modify is safe. */
struct dp_nh_cache {
	uint64_t w[4];
};

#define DP_LINE 64

/*
 * What a flow keeps per output, in five cache lines: the first, the second and the head of the
 * third are what a packet sent through it reads or writes. latch: the entry the output's
 * dst_latch_flow named when flow_by_id() was last asked, valid while the backend's epoch
 * (struct dp_pipe) has not moved, and the backend's cache of how to reach where the output
 * sends (struct dp_nh_cache). ctx: its SRTP context (NULL: plain). cont: with ssrc_any, one
 * continuous stream whatever the source's SSRC (rtp.h). tx: PONTE_RTCP_TERMINATE, what it sent.
 * cont and tx are carried across a modify.
 */
struct dp_out_state {
	struct dp_latch_ref {
		uint64_t epoch;
		const struct dp_flow *flow;
		struct dp_nh_cache nh;
		void *hint; /* flow_by_id()'s, for when the epoch moved */
	} latch;
	struct dp_srtp *ctx;
	_Alignas(DP_LINE) struct dp_rtp_cont cont;
	struct dp_tx_stats tx;
};

/*
 * An installed flow as a packet thread sees it, laid out for the packet (with 200,000 flows
 * each line it reads is a miss of its own). One allocation (dp_flow_build()), in lines:
 *
 *   os[nb_outputs]   just before the head: per output, five lines (struct dp_out_state)
 *   head             line 0: contexts, flags, the latched source; line 1: the counters a
 *                    packet moves; line 2: the other counters; line 3: the receiver
 *                    statistics with the first stream's per-packet fields (rtcp_term.h)
 *   spec             last, with its nb_outputs outputs only (never read an output at or
 *                    above spec.nb_outputs), spec.outputs[0] starting a line: its port,
 *                    destination and the static payload types' pt_map share it (flow.h)
 *
 * A flow of two outputs takes some 2.5 KB rather than 7; a bridged packet reads 3 lines of
 * the head, 3 of its output's state, 1 or 2 of the output's spec and the line of its payload
 * type's clock_khz.
 */
struct dp_flow {
	/* Line 0. */
	struct dp_srtp *in;
	struct dp_out_state *os; /* nb_outputs of them, ending where this entry starts */
	uint64_t next_report_ns;
	struct ponte_addr latched;
	/* Copies of spec's, for the packet's first line: bit i of rtp_outputs: output i takes
	 * RTP; is_latching: a port-wide latching flow (spec.src.family 0, spec.is_latching). */
	uint16_t rtp_outputs;
	uint8_t nb_outputs, rtcp, mirror_pt;
	bool is_latching, is_mirror_only;
	/* The output receiver reports go out of (the first with PONTE_OUT_REPORTS), or
	 * DP_NO_REPORT_OUT. */
	uint8_t report_out;
	/* spec.port_id: a backend that checks the port of each packet's flow reads it here. */
	uint32_t port_id;
	/* Lines 0 (its tail) to 2: written by the packet thread only; what every packet moves
	 * first (flow.h). */
	struct ponte_flow_stats st;
	/* Line 3: PONTE_RTCP_TERMINATE state, carried across a modify. */
	_Alignas(DP_LINE) struct dp_rx_stats rx;
	/* Contexts handed on to the entry that replaced this one: bit i for os[i].ctx,
	 * DP_GIVEN_IN for in. dp_flow_free() leaves those alone. */
	uint32_t given_away;
	uint64_t key_hash; /* the backend's, for its table */
	/* A latching flow in a new latch_epoch: the source latched in the one before, and when
	 * it may latch again (0: not heard since; see input_one()). */
	struct ponte_addr stale;
	uint64_t stale_until_ns;
	/* So that spec.outputs starts a line (1 to 64 bytes). */
	_Alignas(DP_LINE)
	    uint8_t spec_pad[DP_LINE - offsetof(struct ponte_flow_spec, outputs) % DP_LINE];
	/* Last: allocated with spec.nb_outputs outputs. */
	struct ponte_flow_spec spec;
};

_Static_assert((offsetof(struct dp_flow, spec) + offsetof(struct ponte_flow_spec, outputs)) %
		       DP_LINE ==
		   0,
	       "spec.outputs starts a line");
_Static_assert(sizeof(struct dp_out_state) == 5 * DP_LINE, "five lines per output");
_Static_assert(PONTE_FLOW_MAX_OUTPUTS <= 16, "rtp_outputs has a bit per output");
#define DP_NO_REPORT_OUT 0xff
#define DP_GIVEN_IN (1u << 31)
_Static_assert(PONTE_FLOW_MAX_OUTPUTS < 31, "given_away has a bit per output");

/* One media packet of a burst (dp_pipe_input_burst()): what dp_pipe_input() takes. */
struct dp_pipe_pkt {
	struct dp_flow *f;
	const struct ponte_addr *src;
	uint8_t *pkt; /* DP_PIPE_BUF bytes, processed in place */
	size_t len;
	bool is_rtcp;
	void *ctx; /* the backend's, handed back to its begin() and end() */
};

/* end()'s verdict for a packet its flow took; otherwise the enum ponte_drop_reason it was
 * dropped for on input (its source, SRTP, malformed). */
#define DP_PIPE_TAKEN (-1)

/* The most outputs one batch of a burst makes (so the most buffers it asks tx_bufs() for),
 * and the most packets it takes: a packet makes as many as its flow has outputs that take
 * RTP. */
#define DP_PIPE_BURST_OUT 64
#define DP_PIPE_BURST_PKTS 64

/* The backend, as the pipeline needs it on the packet thread. */
struct dp_pipe {
	const struct dp_srtp_engine *srtp;
	void *be;
	/* A DP_PIPE_BUF-byte buffer for the next packet to send. */
	uint8_t *(*tx_buf)(void *be);
	/* Send the len bytes just written to tx_buf() from port_id to dst; false when there is
	 * no such port (the packet is counted as a drop). nh: the sending output's next-hop
	 * cache (NULL: none), for this and the other sends below. */
	bool (*tx)(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len,
		   struct dp_nh_cache *nh);
	/* The entry of flow id, or NULL. hint (may be NULL): the caller's memo for this id,
	 * NULL at first, which the backend may set to what finds the entry again without its
	 * table (the DPDK backend: the flow's slot) and must check before it trusts it; an
	 * address the pipeline may prefetch. */
	struct dp_flow *(*flow_by_id)(void *be, uint64_t id, void **hint);
	/* Optional: a counter the backend's packet thread moves (never to 0) whenever
	 * flow_by_id() may answer otherwise than before: an entry set, replaced or deleted, a
	 * flow coming to or leaving this thread. While it stays, the pipeline keeps the answers
	 * it had (a latched destination's flow) rather than look them up per packet. NULL: it
	 * asks every time. */
	const uint64_t *epoch;
	/* Optional: start fetching what sending from port_id will read (dp_pipe_input_burst()
	 * calls it for each RTP output of a burst's packets, well before their sends). */
	void (*prefetch_port)(void *be, uint32_t port_id);
	/* Hand a copy of a plain packet of flow f to the control plane (spec.mirror_pt). */
	void (*mirror)(void *be, const struct dp_flow *f, const struct ponte_addr *src,
		       const uint8_t *pkt, size_t len);
	/* Optional, for dp_pipe_input_burst(): without tx_bufs it runs dp_pipe_input() on each
	 * packet. tx_bufs() hands out n DP_PIPE_BUF-byte buffers at once (bufs[k], k < n) and
	 * returns how many it could (fewer: the batch goes packet by packet); buffer k stays
	 * the backend's, reused by the next tx_bufs() unless tx_buf_send(k) sent it, as tx()
	 * sends tx_buf()'s. tx_buf() and tx() are not used while a batch holds buffers. */
	unsigned (*tx_bufs)(void *be, uint8_t *bufs[], unsigned n);
	bool (*tx_buf_send)(void *be, unsigned k, uint32_t port_id, const struct ponte_addr *dst,
			    size_t len, struct dp_nh_cache *nh);
	/* Optional, for dp_pipe_input_burst(): forwarding in place. A batched RTP packet whose
	 * flow has exactly one output that takes RTP, and that is not mirrored, is rewritten and
	 * protected in its own buffer (its dp_pipe_pkt.pkt, DP_PIPE_BUF bytes) instead of a
	 * copy, and sent with tx_own(ctx: its dp_pipe_pkt.ctx) rather than tx_buf_send(): the
	 * backend sends the buffer it received (no buffer to get, no copy, none to free). Called
	 * at most once per packet, only for one the pipeline sends; a packet not sent (dropped
	 * on input, its payload type dropped, a stale stream) stays the backend's as without
	 * tx_own, its buffer then holding anything. False as tx_buf_send(). */
	bool (*tx_own)(void *be, void *ctx, uint32_t port_id, const struct ponte_addr *dst,
		       size_t len, struct dp_nh_cache *nh);
	/* Optional: around all the work done for packet ctx of a burst, in the burst's order
	 * (what it sends is sent between the two); verdict: DP_PIPE_TAKEN or the drop reason. */
	void (*begin)(void *be, void *ctx);
	void (*end)(void *be, void *ctx, int verdict);
};

/*
 * Build an entry off-table from spec (control thread): SRTP contexts created, or taken over
 * from old where the keys (and, for outputs, the destination) did not change, so replay and
 * rollover state survive a modify; old's given_away says which. The backend has checked the
 * ports. 0, -EINVAL or an engine error.
 */
int dp_flow_build(const struct dp_srtp_engine *srtp, const struct ponte_flow_spec *spec,
		  struct dp_flow *old, struct dp_flow **out);
/* Prefetch what a media packet of f reads that f's first line addresses: its head, f's own
 * SRTP context, and per output that takes RTP, the output's lines (for payload type pt) and
 * its state (whose line 0 then gives the output's context). */
void dp_flow_prefetch(const struct dp_flow *f, uint8_t pt);
/* Wipe and free an entry (control thread), its contexts but those given away. */
void dp_flow_free(const struct dp_srtp_engine *srtp, struct dp_flow *f);
/* Packet thread, when nf replaces old: counters, RTCP state, and per output that keeps its
 * port and destination its sent counts and stream continuity, go on; so does the latched
 * source, unless nf's latch_epoch differs from old's (the control plane asks to latch anew). */
void dp_flow_carry_over(struct dp_flow *nf, const struct dp_flow *old);

/*
 * One media packet (RTP or RTCP, as is_rtcp says, after RFC 7983 demux) of flow f from src,
 * in a DP_PIPE_BUF-byte buffer, processed in place. now_ns: CLOCK_MONOTONIC.
 */
void dp_pipe_input(const struct dp_pipe *pp, struct dp_flow *f, const struct ponte_addr *src,
		   bool is_rtcp, uint8_t *pkt, size_t len, uint64_t now_ns);
/*
 * nb media packets, each as dp_pipe_input() takes it, with exactly its results: the same
 * bytes sent in the same order, the same counters, drops and SRTP state, as dp_pipe_input()
 * on each packet in turn. Faster: the SRTP unprotect of a batch of RTP packets is one
 * dp_srtp_rtp_burst() call, then each packet is checked and rewritten, then the protect of
 * all their outputs is one more, then the sends. A receiver report that falls due stays in
 * its packet's batch: built right after that packet's receiver statistics, SRTCP-protected
 * after the batch's RTP, sent right after that packet's outputs. RTCP, a latching flow's first
 * packet, and a packet whose flow's reports go out of an output that also takes its RTP go
 * one at a time, between batches.
 */
void dp_pipe_input_burst(const struct dp_pipe *pp, struct dp_pipe_pkt *pkts, unsigned nb,
			 uint64_t now_ns);
/* A plain packet from the control plane through output i of f, whatever kinds it takes. */
void dp_pipe_inject(const struct dp_pipe *pp, struct dp_flow *f, unsigned i, const uint8_t *pkt,
		    size_t len);

#endif
