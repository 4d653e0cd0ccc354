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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>

struct ponte_dp;

/** One NIC of the DPDK backend (dpdk.ports[]): a logical one. Entries with the same device
 * are VLANs of one trunk port (each its own vlan, at most one untagged, the same queue
 * settings), sharing its ethdev, each with its own exception port and addresses. Strings are
 * borrowed for the call. */
struct ponte_dp_dpdk_port {
	/** A PCI address ("0000:01:00.0"), a vdev string ("net_af_packet0,iface=veth0"), or the
	 * name of an ethdev that already exists in the process (tests, embedding). */
	const char *device;
	uint16_t rx_queues; /**< 0: one per lcore */
	uint16_t rx_desc, tx_desc; /**< 0: the driver's preference */
	/** 802.1Q VLAN (1..4094) the port's media and exception traffic live on: only frames
	 * tagged with it are taken (and untagged toward the kernel), all it sends is tagged;
	 * 0: untagged (tagged frames go to the kernel as they are). */
	uint16_t vlan;
	/** The device's MTU (IP bytes in a frame) and its TAP's; 0: 1500. At most what the device
	 * takes (rte_eth_dev_info's max_mtu and max_rx_pktlen): refused at start beyond it.
	 * The mbufs are made large enough for a whole frame of the largest MTU. */
	uint16_t mtu;
	/** This NIC's exception port, as the top-level ones of struct ponte_dp_dpdk_config,
	 * which are the first port's when its own are NULL or empty. Each NIC has its own: the
	 * media of a local address leaves through the NIC whose exception interface holds it,
	 * and what the kernel sends on exception port k leaves through NIC k. */
	const char *exception_device;
	const char *exception_tap;
	const char *const *exception_addresses;
};

/** The DPDK backend's settings (dpdk.*); see docs/dpdk.md. Borrowed for the call. */
struct ponte_dp_dpdk_config {
	const char *lcores; /**< CPUs of the forwarding lcores ("1", "2-3,5"); "": the last CPU */
	uint32_t memory_mb;
	bool is_no_huge;
	const char *file_prefix;
	const struct ponte_dp_dpdk_port *ports;
	unsigned nb_ports; /**< 1 to 8, on at most 4 devices */
	uint32_t mempool_size; /**< mbufs per NUMA socket */
	/** The exception port: "" for a TAP named exception_tap, else a device as in ports. */
	const char *exception_device;
	const char *exception_tap;
	/** "ADDR/PREFIX" the TAP is given, NULL-terminated; empty or NULL: keep its own. */
	const char *const *exception_addresses;
	bool is_idle_poll; /**< busy-poll when idle, rather than sleep with backoff */
	/** Sleep until a receive interrupt or work queued (the NIC and the exception port must
	 * have receive interrupts: refused at start otherwise). */
	bool is_idle_interrupt;
	uint32_t idle_sleep_us; /**< the longest sleep of an idle lcore */
	/** UDP ports the fast path owns on the NICs' addresses (dpdk.owned_ports): a port opened
	 * there (ponte_dp_port_open()) has no kernel socket, its number is taken from a bitmap
	 * of its address (-EADDRINUSE when taken); UDP to one without an open port, and IP
	 * fragments to one, are dropped and counted (owned_port_drops), never given to the
	 * kernel; the range is added to the network namespace's ip_local_reserved_ports while
	 * the dataplane runs. 0/0: none (a socket reserves each opened port). */
	uint16_t owned_port_min, owned_port_max;
};

/** How a backend reports what the control plane should log (level: 0 error .. 3 debug). */
typedef void (*ponte_dp_log_fn)(void *ctx, int level, const char *msg);

/** Dataplane settings (plain data). */
struct ponte_dp_config {
	const char *backend; /**< "socket" (default) or "dpdk" */
	/** "libsrtp2", "ipsec-mb", or "auto"/NULL: ipsec-mb when built in and its init works
	 * on this CPU, else libsrtp2. */
	const char *srtp_engine;
	uint32_t max_flows;
	uint32_t max_ports;
	uint32_t input_queue; /**< packets queued by ponte_dp_input() before drops */
	const struct ponte_dp_dpdk_config *dpdk; /**< backend "dpdk"; borrowed for the call */
	/** Messages worth a log line (a configuration error naming its key, DPDK's own log).
	 * Called from any of the dataplane's threads; NULL: none. */
	ponte_dp_log_fn log;
	void *log_ctx;
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
	uint64_t steer_rules; /**< DPDK: rte_flow rules steering flows to their owner's queue */
	uint64_t steer_failed; /**< DPDK: steering rules the NIC refused */
	uint64_t flow_moves; /**< DPDK: flow groups moved to the lcore their frames reach */
	uint32_t nb_flows;
	uint32_t nb_ports;
};

/** Why a forwarding lcore dropped a frame before any flow saw it (DPDK backend); indexes
 * ponte_dp_lcore_stats.drops. Frames the kernel should judge go to the exception path
 * instead and are not drops. */
enum ponte_dp_frame_drop {
	PONTE_DP_DROP_TRUNCATED, /**< shorter than its Ethernet, IP or UDP header */
	PONTE_DP_DROP_BAD_VERSION, /**< IP version that is not the EtherType's */
	PONTE_DP_DROP_BAD_LENGTH, /**< IP or UDP length beyond the frame or below a header */
	PONTE_DP_DROP_BAD_CHECKSUM, /**< IPv4 header checksum wrong */
	PONTE_DP_DROP_NO_MBUF, /**< no buffer for an output or a copy */
	PONTE_DP_DROP_TX_FULL, /**< the NIC's transmit queue did not take it */
	PONTE_DP_DROP_EXC_FULL, /**< the exception port did not take it */
	PONTE_DP_DROP_HANDOFF_FULL, /**< the owning lcore's hand-off ring was full */
	PONTE_DP_DROP_WRONG_VLAN, /**< on a port with a VLAN: untagged, or another VLAN's */
	/** UDP checksum wrong: as the NIC said, or verified in software where it said nothing;
	 * 0 over IPv6 */
	PONTE_DP_DROP_BAD_UDP_CHECKSUM,
	PONTE_DP_DROP_NB
};

/** Counters of one forwarding lcore (DPDK backend), each written by that lcore alone. */
struct ponte_dp_lcore_stats {
	uint32_t lcore_id; /**< the EAL's */
	uint32_t nb_flows; /**< flows this lcore owns */
	uint64_t rx_pkts, rx_bytes; /**< frames received from the NICs */
	uint64_t tx_pkts, tx_bytes; /**< frames sent through the NICs, both paths */
	uint64_t fast_pkts; /**< media of an installed flow, through the pipeline */
	uint64_t no_flow; /**< RTP/RTCP to one of our ports that no flow took */
	uint64_t input_pkts; /**< from ponte_dp_input(): media a socket received (the slow path) */
	uint64_t to_kernel; /**< frames handed to the exception port */
	uint64_t from_kernel; /**< frames the kernel sent, out through the NIC */
	uint64_t ip_options, fragments; /**< of to_kernel: IPv4 options, IP fragments */
	uint64_t punted, punt_drops; /**< to the control plane's punt queue */
	uint64_t srtp_auth_fail, srtp_replay; /**< of fast_pkts, as the flows counted them */
	uint64_t handoffs; /**< frames passed to the lcore that owns their flow */
	uint64_t tx_via_kernel; /**< next hop unknown: sent through the kernel's raw socket */
	uint64_t idle_sleeps;
	/** UDP to the owned port range with no open port, or fragments to it: dropped so that
	 * the kernel never answers for those ports (struct ponte_dp_dpdk_config) */
	uint64_t owned_port_drops;
	/** UDP whose checksum the sender's kernel left to an offload that never ran (a veth
	 * peer's CHECKSUM_PARTIAL): taken as unchecked, completed, not dropped */
	uint64_t udp_cksum_partial;
	uint64_t drops[PONTE_DP_DROP_NB];
};

/** A punted packet, as read by ponte_dp_punt_read(). */
struct ponte_dp_punt {
	uint32_t port_id;
	struct ponte_addr src;
	uint16_t len;
	uint8_t data[2048];
};

/** Whether this build has backend name ("socket", "dpdk"). */
bool ponte_dp_has_backend(const char *name);
/** Whether this build has SRTP engine name ("libsrtp2", "ipsec-mb", "auto"). */
bool ponte_dp_has_srtp_engine(const char *name);

/** Create and start a dataplane. cfg is copied. */
int ponte_dp_create(const struct ponte_dp_config *cfg, struct ponte_dp **out);
/** Stop its threads and free everything; keys are wiped. */
void ponte_dp_destroy(struct ponte_dp *dp);
const char *ponte_dp_backend_name(const struct ponte_dp *dp);
/** The SRTP engine in use ("auto" resolved). */
const char *ponte_dp_srtp_engine_name(const struct ponte_dp *dp);

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

/** Wait until every call made before has taken effect in the dataplane's threads (the DPDK
 * backend: and the frames its NICs held at the call have been through their lcores). */
int ponte_dp_sync(struct ponte_dp *dp);

void ponte_dp_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out);

/**
 * Counters of forwarding lcore i (0, 1, ...): 0 and *out filled, or -ENOENT past the last one
 * (at once for a backend without lcores, such as the socket backend).
 */
int ponte_dp_lcore_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_lcore_stats *out);

/** Counters of one NIC of the DPDK backend (dpdk.ports[i], a logical NIC) and of its
 * exception port. rx_pkts .. tx_errors are the device's as its driver counts them
 * (rte_eth_stats_get()): what crossed it, whichever path it took, for all the VLANs of the
 * device (the same figures on each of its entries; eth_nic says which). to_kernel and
 * from_kernel are its own exception port's; lcore_* are the lcores' counts for this logical
 * NIC alone (its VLAN's frames). */
struct ponte_dp_nic_stats {
	char device[64];	    /**< the NIC's ethdev name */
	uint16_t vlan;		    /**< its 802.1Q VLAN, 0: untagged */
	unsigned eth_nic;	    /**< the first entry of its device (itself, or an earlier VLAN) */
	uint64_t rx_pkts, rx_bytes; /**< frames the device received */
	uint64_t tx_pkts, tx_bytes; /**< frames it sent: the fast path's and the kernel's */
	uint64_t rx_missed, rx_errors, tx_errors; /**< what its driver lost or refused */
	uint64_t to_kernel;   /**< frames its exception port took to the kernel */
	uint64_t from_kernel; /**< frames the kernel sent through its exception port */
	/** Frames the lcores received for this logical NIC (with several VLANs on the device:
	 * of its VLAN; others' and untagged ones of no entry are not counted), and queued to
	 * send through it (tagged with its VLAN; those the queue refused taken back). */
	uint64_t lcore_rx_pkts, lcore_rx_bytes, lcore_tx_pkts, lcore_tx_bytes;
};

/**
 * Counters of NIC i (0, 1, ...): 0 and *out filled, or -ENOENT past the last one (at once for a
 * backend without NICs, such as the socket backend). Control thread; each counter is read as
 * its driver last wrote it, the NIC's and its exception port's a moment apart.
 */
int ponte_dp_nic_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_nic_stats *out);

#endif
