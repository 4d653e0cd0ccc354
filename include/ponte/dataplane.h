/* SPDX-License-Identifier: MIT */
/**
 * @file dataplane.h
 * A dataplane instance and its three surfaces:
 *  - flows (control -> dataplane): ponte_dp_flow_add/modify/delete, see flow.h;
 *  - punt (dataplane -> control): packets of no flow (STUN, DTLS, unknown) come back through
 *    a queue whose readiness is signalled on a file descriptor; control -> wire with
 *    ponte_dp_send() and ponte_dp_flow_inject();
 *  - stats: read-only counter snapshots.
 *
 * Backends (the socket backend, the DPDK backend) implement the same functions.
 *
 * Threading: all functions are called from one control thread, except ponte_dp_input(),
 * which may be called from one other thread (the control plane's media I/O thread). The
 * dataplane runs its own thread(s); nothing here blocks on them except ponte_dp_sync().
 * Errors are 0 or a negative errno.
 */
#ifndef PONTE_DATAPLANE_H
#define PONTE_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>

struct ponte_dp;

/** Dataplane settings (plain data). */
struct ponte_dp_config {
	const char *backend; /**< "socket" (default) */
	const char *srtp_engine; /**< "libsrtp2" (default) */
	uint32_t max_flows;
	uint32_t max_ports;
	uint32_t input_queue; /**< packets queued by ponte_dp_input() before drops */
};

/** Counters of the whole dataplane. */
struct ponte_dp_stats {
	uint64_t rx_pkts; /**< packets received or input */
	uint64_t no_flow; /**< received on a port with no matching flow (punted or dropped) */
	uint64_t punted; /**< handed to the control plane */
	uint64_t punt_drops; /**< punt queue full */
	uint64_t input_drops; /**< ponte_dp_input() queue full */
	uint64_t tx_pkts;
	uint64_t tx_errors;
	uint32_t nb_flows;
	uint32_t nb_ports;
};

/** A punted packet, as read by ponte_dp_punt_read(). */
struct ponte_dp_punt {
	uint32_t port_id;
	struct ponte_addr src;
	uint16_t len;
	uint8_t data[2048];
};

/** Create and start a dataplane. cfg is copied. */
int ponte_dp_create(const struct ponte_dp_config *cfg, struct ponte_dp **out);
/** Stop its threads and free everything; keys are wiped. */
void ponte_dp_destroy(struct ponte_dp *dp);
const char *ponte_dp_backend_name(const struct ponte_dp *dp);

/**
 * A port whose socket another component owns and reads (an ICE socket): the dataplane dups fd
 * and only sends from it; packets for it come in through ponte_dp_input(). fd is borrowed.
 */
int ponte_dp_port_attach(struct ponte_dp *dp, int fd, uint32_t *port_id);
/**
 * How a port that another component carries sends: called on a dataplane thread with one
 * datagram for the port's single peer. Returns 0 or a negative errno.
 */
typedef int (*ponte_dp_tx_fn)(void *ctx, const uint8_t *pkt, size_t len);

/**
 * A port whose packets another component both receives (handing them in through
 * ponte_dp_input()) and sends (through fn): a path the dataplane cannot carry itself, such as
 * an ICE pair relayed through a TURN server, whose framing the ICE agent owns. fn is called
 * from a dataplane thread, and never again once ponte_dp_port_close() and then
 * ponte_dp_sync() have returned; ctx must stay valid until then.
 */
int ponte_dp_port_attach_fn(struct ponte_dp *dp, ponte_dp_tx_fn fn, void *ctx,
			    uint32_t *port_id);

/**
 * A port the dataplane owns: it binds a UDP socket to local (port 0: pick one in
 * [port_min, port_max], 0/0: any) and receives on it. The bound address is written back.
 */
int ponte_dp_port_open(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
		       uint16_t port_max, uint32_t *port_id);
/** Close a port; flows still naming it stop matching. */
int ponte_dp_port_close(struct ponte_dp *dp, uint32_t port_id);

/** Install a flow. -EEXIST if its id or its (port, src) is taken, -ENOENT for unknown ports. */
int ponte_dp_flow_add(struct ponte_dp *dp, const struct ponte_flow_spec *spec);
/** Replace a flow's actions and keys (same id); SRTP state of unchanged keys is kept. */
int ponte_dp_flow_modify(struct ponte_dp *dp, const struct ponte_flow_spec *spec);
int ponte_dp_flow_delete(struct ponte_dp *dp, uint64_t id);
int ponte_dp_flow_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out);

/**
 * Send pkt (plain RTP or RTCP) through output `output` of flow id: rewritten and protected as
 * the flow's own packets (a PLI the control plane makes, say). Queued; returns at once.
 */
int ponte_dp_flow_inject(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			 size_t len);

/**
 * A packet received by another component on an attached port (see ponte_dp_port_attach).
 * Copied; may be called from one thread other than the control thread. -ENOBUFS when the
 * input queue is full (the packet is dropped and counted).
 */
int ponte_dp_input(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		   const uint8_t *pkt, size_t len);

/** Send pkt as it is from port_id to dst (control -> wire: STUN, DTLS, SIP-side RTCP). */
int ponte_dp_send(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		  const uint8_t *pkt, size_t len);

/** A file descriptor that becomes readable when punted packets wait. */
int ponte_dp_punt_fd(const struct ponte_dp *dp);
/** Take the next punted packet: 1 and *out filled, or 0 when none is left. */
int ponte_dp_punt_read(struct ponte_dp *dp, struct ponte_dp_punt *out);

/** Wait until every call made before has taken effect in the dataplane's threads. */
int ponte_dp_sync(struct ponte_dp *dp);

void ponte_dp_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out);

#endif
