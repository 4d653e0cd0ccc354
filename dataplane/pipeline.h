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

/* An installed flow as a packet thread sees it. */
struct dp_flow {
	struct ponte_flow_spec spec;
	struct dp_srtp *in;
	struct dp_srtp *out[PONTE_FLOW_MAX_OUTPUTS];
	/* Contexts handed on to the entry that replaced this one: bit i for out[i], DP_GIVEN_IN
	 * for in. dp_flow_free() leaves those alone. */
	uint32_t given_away;
	uint64_t key_hash; /* the backend's, for its table */
	struct ponte_addr latched;
	struct ponte_flow_stats st; /* written by the packet thread only */
	/* PONTE_RTCP_TERMINATE state, carried across a modify. */
	struct dp_rx_stats rx;
	struct dp_tx_stats tx[PONTE_FLOW_MAX_OUTPUTS];
	uint64_t next_report_ns;
	/* Per output with ssrc_any: one continuous stream whatever the source's SSRC (rtp.h),
	 * carried across a modify like tx[]. */
	struct dp_rtp_cont cont[PONTE_FLOW_MAX_OUTPUTS];
};

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

/* The most output buffers one batch of a burst asks tx_bufs() for, and the most packets it
 * takes: a packet needs as many buffers as its flow has outputs. */
#define DP_PIPE_BURST_OUT 64
#define DP_PIPE_BURST_PKTS 64

/* The backend, as the pipeline needs it on the packet thread. */
struct dp_pipe {
	const struct dp_srtp_engine *srtp;
	void *be;
	/* A DP_PIPE_BUF-byte buffer for the next packet to send. */
	uint8_t *(*tx_buf)(void *be);
	/* Send the len bytes just written to tx_buf() from port_id to dst; false when there is
	 * no such port (the packet is counted as a drop). */
	bool (*tx)(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len);
	/* The entry of flow id, or NULL. */
	struct dp_flow *(*flow_by_id)(void *be, uint64_t id);
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
			    size_t len);
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
 * all their outputs is one more, then the sends. RTCP, a latching flow's first packet, and a
 * packet whose flow has a receiver report due go one at a time, between batches.
 */
void dp_pipe_input_burst(const struct dp_pipe *pp, struct dp_pipe_pkt *pkts, unsigned nb,
			 uint64_t now_ns);
/* A plain packet from the control plane through output i of f, whatever kinds it takes. */
void dp_pipe_inject(const struct dp_pipe *pp, struct dp_flow *f, unsigned i, const uint8_t *pkt,
		    size_t len);

#endif
