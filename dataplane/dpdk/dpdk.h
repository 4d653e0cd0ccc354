/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's internals, shared by its files, one concept each:
 *   dpdk.c    the backend ops: the control thread's side of ports, flows, punts and stats
 *   eal.c     configuration checks before the EAL starts, its arguments, DPDK's log
 *   port.c    ethdevs: probe, queues, mempools; the exception (TAP) port and its address
 *   ftable.c  the shared flow and port tables (rte_hash, lock-free readers, RCU)
 *   parse.c   frames in and out (parse.h)
 *   neigh.c   next-hop MACs learned from frames
 *   lcore.c   the forwarding loop
 *   steer.c   keeping a flow's frames on its owner: rte_flow rules, moving flow groups
 *   owned.c   the UDP port range the fast path owns without kernel sockets
 *
 * Threads. The control thread (the one that created the dataplane: the EAL's main lcore) is
 * the only writer of the flow and port tables. Forwarding lcores read them without locks; a
 * deleted slot or port is freed only after every lcore has gone through a quiescent state
 * (rte_rcu_qsbr). Each flow has one owning lcore, which alone touches its entry (SRTP
 * contexts, counters, RTCP state): the control thread sends it entries through a command ring
 * and gets replaced ones back through a garbage ring, as the socket backend does with its
 * single thread. A frame of a flow that arrives on another lcore is handed to the owner;
 * steer.c keeps that rare.
 */
#ifndef PONTE_DP_DPDK_H
#define PONTE_DP_DPDK_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <rte_epoll.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <ponte/dataplane.h>

#include "../backend.h"
#include "../htab.h"
#include "../pipeline.h"
#include "../ring.h"
#include "kfrag.h"
#include "parse.h"

#define DPDK_BURST 32
#define DPDK_MAX_LCORES 16
/* Logical NICs (dpdk.ports[]), each with its own exception port, over at most DPDK_MAX_ETHS
 * ethdevs: entries with the same device are VLANs of one trunk port. */
#define DPDK_MAX_NICS 8
#define DPDK_MAX_ETHS 4
/* Addresses a NIC's exception port is given (dpdk.ports[].exception_addresses). */
#define DPDK_MAX_NIC_ADDRS 8
#define DPDK_TX_BATCH 64
#define DPDK_CMD_RING 4096
#define DPDK_GARBAGE_RING 8192
#define DPDK_PUNT_RING 1024
#define DPDK_HANDOFF_RING 4096
#define DPDK_LEARN_RING 1024
/* Mbuf data room: the headers in front of a payload, and a whole DP_PIPE_BUF behind the
 * payload of any frame received, as the pipeline works in place on that many bytes. The
 * least: dpdk_mbuf_data() makes it larger for jumbo frames (dpdk.ports[].mtu). */
#define DPDK_MBUF_DATA (RTE_PKTMBUF_HEADROOM + DP_PIPE_BUF + 128)
_Static_assert(DPDK_MEDIA_MAX == DP_PIPE_PKT_MAX, "parse.c sends larger UDP to the kernel");

/* The data room of the mbufs for these ports (eal.c): DPDK_MBUF_DATA, or a whole frame of the
 * largest dpdk.ports[].mtu, or what a net_af_packet device's framesz= fills, when larger. */
struct ponte_dp_dpdk_config;
uint32_t dpdk_mbuf_data(const struct ponte_dp_dpdk_config *dc);

/* ---- logging (eal.c) ---- */

enum { DPDK_LOG_ERROR, DPDK_LOG_WARN, DPDK_LOG_INFO, DPDK_LOG_DEBUG };
struct dpdk_dp;
void dpdk_log(const struct dpdk_dp *d, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- ethdevs (port.c) ---- */

struct dpdk_eth {
	uint16_t port_id;
	bool is_open;	/* port_id is valid */
	bool is_probed; /* we probed it, we remove it */
	bool is_started;
	bool is_tap;  /* a net_tap we created: the kernel interface is ours */
	bool has_rss; /* receive queues spread by the device's RSS */
	bool has_flow_steer; /* takes rte_flow rules with a QUEUE action (steer.c) */
	bool has_rx_intr;    /* receive interrupts set up (dpdk.idle: interrupt) */
	bool has_vlan_strip; /* the device strips the VLAN tag (RTE_ETH_RX_OFFLOAD_VLAN_STRIP) */
	uint16_t vlan;	     /* 802.1Q VLAN of its traffic (dpdk.ports[].vlan), 0: untagged */
	uint16_t mtu;	     /* dpdk.ports[].mtu (the exception port: its NIC's); 0: 1500 */
	/* The longest frame it transmits, 0: no limit. A TAP's is its ethdev MTU and 22 bytes
	 * (net_tap's own check): lcore.c fragments longer frames for it (kfrag.c). */
	uint32_t tx_frame_max;
	/* Several logical NICs on this ethdev (the first entry of the device; dpdk_frame_nic()):
	 * their VLANs (0: untagged) and indices in dpdk_dp.nic. */
	uint8_t nb_vlan_nics;
	uint16_t vlan_ids[DPDK_MAX_NICS];
	uint8_t vlan_nics[DPDK_MAX_NICS];
	int socket;
	uint16_t nb_rxq, nb_txq;
	struct rte_ether_addr mac;
	struct dpdk_tx_offload tx_off;
	char name[64];
};

/* ---- Ponte ports: local UDP addresses ---- */

enum dport_kind {
	DPORT_NIC,    /* an address of the exception interface: the fast path sends and receives */
	DPORT_KERNEL, /* an attached socket elsewhere (127.0.0.1): sent from, input by the owner */
	DPORT_FN,     /* sent through a function (an ICE pair relayed through TURN) */
};

/* Immutable once published in dpdk_dp.ports; freed an RCU grace period after it leaves. */
struct dport {
	uint32_t id;
	uint8_t kind;  /* enum dport_kind */
	/* DPORT_NIC: the NIC (index in dpdk_dp.nic) whose exception interface holds local: its
	 * media leaves through that NIC. */
	uint8_t nic;
	bool is_owned; /* ponte_dp_port_open(): what no flow takes is punted, not the kernel's */
	/* DPORT_KERNEL: our dup; owned: the socket that reserves the port number, -1 in the
	 * owned range (owned.c: the number is a bit) */
	int fd;
	ponte_dp_tx_fn tx_fn;
	void *tx_ctx;
	struct ponte_addr local; /* DPORT_FN: none (family 0) */
	int32_t hpos;		 /* the port table's position for this port's key, -1: not in it */
	/* The lcore that last received a frame for this port that no flow took (STUN, DTLS
	 * before the flows exist): RSS sends it there, so its flows will be owned there.
	 * Written by lcores, DPORT_NONE_LCORE: none yet. */
	_Atomic uint16_t rx_lcore;
	/* The control thread's, never read by lcores: the other open DPORT_NIC ports with the
	 * same local address (an ICE socket attached again under a new id), so that closing
	 * one finds at once who takes its place in the port table. */
	struct dport *c_prev, *c_next;
};

#define DPORT_NONE_LCORE 0xffff

/* ---- flows (ftable.c) ---- */

/* The flow table's key: the local address of the flow's port and the remote one. A port-wide
 * flow has is_any set and no remote. DPORT_FN ports have no local address: their key names the
 * port id instead (family 0xffff), and only ponte_dp_input() ever looks them up. */
struct fkey {
	uint16_t family;
	uint16_t lport;
	uint16_t rport;
	uint16_t is_any;
	uint8_t lip[16];
	uint8_t rip[16];
	/* Zero. 48 bytes: rte_hash compares keys of 16, 32, 48 ... bytes with vector code (40:
	 * memcmp()), and its key store's entries (the data pointer and the key) are then 64
	 * bytes, one cache line each, where half of the 48-byte ones straddled two. */
	uint8_t zero[8];
};
_Static_assert(sizeof(struct fkey) == 48, "fkey has no padding");

#define FKEY_FAMILY_PORT_ID 0xffff

/* The port table's key: a local address the fast path receives for. */
struct pkey {
	uint16_t family;
	uint16_t port;
	uint8_t ip[16];
};

/*
 * A flow as the tables hold it. Published in the flow table (key -> slot) by the control
 * thread; cur is the owning lcore's alone. The owner changes only when the group moves
 * (steer.c): the old owner stores the new one (release) after its last use of cur; readers
 * load it with acquire (lcore.c's is_owner()).
 */
struct fslot {
	uint16_t owner;	     /* index of the owning lcore */
	_Atomic bool is_in_transit; /* moved, not adopted yet by the new owner */
	/* A port-wide flow's: exact flows (a remote) have the same local address, so a frame
	 * must be looked up by its exact key too (lcore.c's lookup_burst()). Written by the
	 * control thread after it added the first one, cleared after it removed the last. */
	_Atomic bool has_exact;
	bool is_exact; /* its key has a remote */
	/* Owner only: the NIC and MAC (dpdk_neigh_word()) its frames came from, which the
	 * neighbour table was seen to hold for its remote while its generation was l2_gen; 0:
	 * not seen. Saves a lookup per frame (lcore.c's learn_src()). */
	uint32_t l2_gen;
	uint64_t l2_src;
	struct dp_flow *cur; /* owner only: the live entry, NULL until the first command */
	/* The flow's id, 0 once retired: slots are never freed while the dataplane lives
	 * (dpdk_slot_put()), so an lcore may check a slot it remembers (the pipeline's
	 * flow_by_id() hints) against the id it wants, with atomic loads. */
	uint64_t id;
	/* Frames of this flow each lcore received from the NIC: written by that lcore. */
	uint32_t rx_on[DPDK_MAX_LCORES];
	/* The control thread's. */
	uint32_t rx_seen[DPDK_MAX_LCORES]; /* rx_on at the last look (steer.c) */
	uint64_t gid;			   /* its group: flows that must share an owner */
	struct rte_flow *rule;		   /* steering rule, NULL: none */
	uint8_t rule_nic;		   /* the NIC that holds rule */
	struct fslot *next_free;	   /* on the dataplane's list of free slots */
	struct dp_flow *latest; /* the entry last built for it (flow_stats reads its counters) */
	struct fkey key;
	uint64_t key_hash; /* for c_by_key */
	int32_t hpos;	   /* position in the flow table */
};

void dpdk_fkey_make(struct fkey *k, const struct dport *p, uint32_t port_id,
		    const struct ponte_addr *src, bool is_any);
/* Store the nb (even) words w at dst 16 bytes at a time: rte_hash compares keys with 16-byte
 * loads, which a store of 8 bytes cannot forward to, so a key stored by halves and looked up
 * at once would wait for the stores to reach the cache. */
static inline void dpdk_store_words(void *dst, const uint64_t *w, unsigned nb)
{
	typedef uint64_t u64x2 __attribute__((vector_size(16)));

	for (unsigned i = 0; i + 1 < nb; i += 2) {
		u64x2 v = {w[i], w[i + 1]};

		memcpy((uint8_t *)dst + 8 * i, &v, sizeof(v));
	}
}

/* The flow and port tables' hash: rte_hash_crc() from this value. */
#define FKEY_HASH_INIT 0x9e3779b9u

/* dpdk_fkey_make()'s key for a frame of the fast path, from remote (NULL: the port-wide key)
 * to NIC address local, both of one family, and its hash in the flow table (for
 * rte_hash_lookup_with_hash_bulk_data()), hashed from its words before they are stored
 * (dpdk_store_words()): built field by field and read back at once by rte_hash's own hashing,
 * each of its 8-byte loads waited for the smaller stores to reach the cache (a
 * store-forwarding stall). */
hash_sig_t dpdk_fkey_rx(struct fkey *k, const struct ponte_addr *local,
			const struct ponte_addr *remote);
void dpdk_pkey_make(struct pkey *k, const struct ponte_addr *local);
int dpdk_ftable_create(struct dpdk_dp *d);
void dpdk_ftable_destroy(struct dpdk_dp *d);
/* Control thread: publish a slot, or take it out of the table (its owner still holds it:
 * once the owner gives it back, dpdk_ftable_slot_retire() frees it after a grace period). */
int dpdk_ftable_flow_add(struct dpdk_dp *d, struct fslot *s);
void dpdk_ftable_flow_del(struct dpdk_dp *d, struct fslot *s);
void dpdk_ftable_slot_retire(struct dpdk_dp *d, struct fslot *s);
/* Control thread: a slot no lcore holds any more (past its grace period) to the free ones,
 * its id 0. */
void dpdk_slot_put(struct dpdk_dp *d, struct fslot *s);
/* Withdraw a port (from the table too, unless next, a port with the same address, takes its
 * place there); freed after a grace period. */
void dpdk_ftable_port_del(struct dpdk_dp *d, struct dport *p, struct dport *next);
int dpdk_ftable_port_set(struct dpdk_dp *d, struct dport *p);
void dpdk_ftable_port_free(struct dpdk_dp *d, struct dport *p);
/* Free what is past its grace period; wait: until all is. */
void dpdk_ftable_reclaim(struct dpdk_dp *d, bool wait);

/* ---- neighbours (neigh.c) ---- */

struct dpdk_lcore;
int dpdk_neigh_create(struct dpdk_dp *d);
void dpdk_neigh_destroy(struct dpdk_dp *d);
/* Next hops are learnt per NIC: the same address may be behind different MACs on two
 * networks (a private range on each side). */
/* Any lcore: the MAC for ip behind NIC nic, false when unknown. */
bool dpdk_neigh_lookup(const struct dpdk_dp *d, unsigned nic, const struct ponte_addr *ip,
		       struct rte_ether_addr *mac);
/* Any lcore: ip is behind mac on NIC nic (from a frame). Lcore 0 writes; the others queue
 * it. True when the table held that already. */
bool dpdk_neigh_learn(struct dpdk_lcore *l, unsigned nic, const struct ponte_addr *ip,
		      const struct rte_ether_addr *mac);
/* A NIC and MAC in one word, never 0. */
static inline uint64_t dpdk_neigh_word(unsigned nic, const struct rte_ether_addr *mac)
{
	uint64_t w = (uint64_t)1 << 63 | (uint64_t)(nic & 0xff) << 48;

	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return w;
}
/* Lcore 0: apply what the others queued. */
void dpdk_neigh_drain(struct dpdk_lcore *l);
/* Any lcore: send the frame m (built with any destination MAC) to dst through the kernel
 * interface of NIC nic, which resolves the next hop; m is consumed. 0, or a negative errno
 * (nothing was sent). */
int dpdk_neigh_via_kernel(struct dpdk_lcore *l, unsigned nic, struct rte_mbuf *m,
			  const struct ponte_addr *dst);

/* ---- the UDP port range the fast path owns (owned.c) ---- */

struct dpdk_owned_addr;

struct dpdk_owned {
	/* Ports min .. min + nb - 1; nb 0: none. Set before the lcores start, then constant. */
	uint16_t min;
	uint32_t nb;
	/* The control thread's. */
	bool has_reserved;		/* added some to ip_local_reserved_ports */
	uint64_t *added;		/* 65536 bits: the numbers added there, taken out at stop */
	struct dpdk_owned_addr **addrs; /* numbers in use, per local address */
	unsigned nb_addrs, cap_addrs;
	/* The record of what start added (a file of PONTE_OWNED_STATE_DIR, by default /run/ponte,
	 * so that a crash's reservation is taken over at the next start), and its lock file; NULL
	 * when none could be written. */
	char *record, *lock;
	/* Other processes' sockets in the range (dpdk_owned_scan()): when last looked, and the
	 * socket inodes already warned about (a ring, so that a rescan does not repeat them). */
	double scanned_at;
	uint64_t warned[32];
	unsigned nb_warned;
};

/* Whether port is one of the owned range's (any thread). */
static inline bool dpdk_owned_has_range(const struct dpdk_owned *o, uint16_t port)
{
	return (uint16_t)(port - o->min) < o->nb;
}

/* Control thread. Check the range of dc, add it to the network namespace's
 * ip_local_reserved_ports (an error naming dpdk.owned_ports when that cannot be written),
 * recorded in PONTE_OWNED_STATE_DIR (default /run/ponte): a dead gateway's record is taken
 * over, a live one's overlapping range refused (-EADDRINUSE); stop takes out what start added
 * (or took over), removes the record and frees the numbers. */
int dpdk_owned_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc);
void dpdk_owned_stop(struct dpdk_dp *d);
/* Control thread, once the exception ports are up (it needs the NICs' addresses): warn about
 * other sockets bound to ports of the range on a NIC's address or the wildcard (their
 * datagrams are the fast path's, dropped), naming the process. Also done again, at most every
 * 10 s, when a port of the range is opened. */
void dpdk_owned_scan(struct dpdk_dp *d);
/* Control thread: a number of the owned range for local (an address of a NIC): its own port
 * when it names one, else a free one of [port_min, port_max] (0/0: of the whole range), which
 * is written back. 0; -EADDRINUSE when taken (none free); -EINVAL for a range that straddles
 * the owned one; 1 when local's port or the range asked for is outside it: a socket's. */
int dpdk_owned_take(struct dpdk_dp *d, struct ponte_addr *local, uint16_t port_min,
		    uint16_t port_max);
/* Control thread: give local's number back (nothing when it is not the range's). */
void dpdk_owned_put(struct dpdk_dp *d, const struct ponte_addr *local);
/* Control thread: whether local's number is taken. */
bool dpdk_owned_is_taken(const struct dpdk_dp *d, const struct ponte_addr *local);

/* ---- the forwarding lcores (lcore.c) ---- */

enum dpdk_cmd_type {
	DCMD_FLOW_SET, /* slot, entry, old slot (a modify that changed the key) */
	DCMD_FLOW_DEL, /* slot */
	DCMD_SEND,     /* buf: sent as it is */
	DCMD_INJECT,   /* buf, through flow id's output `output` */
	DCMD_SYNC,
	DCMD_MOVE, /* ptr: a struct dpdk_move whose slots this lcore owns */
};

/* Flows that change owner (steer.c): the old owner passes it to the new one's adopt ring;
 * the new one sets is_done once it has adopted them, and the control thread then frees it. */
struct dpdk_move {
	uint16_t to;
	_Atomic bool is_done;
	unsigned nb;
	struct fslot *slots[];
};

/* A flow id referred to (rtp_flow, dst_latch_flow) before it exists: the lcore it must go to,
 * and the group it will be in. */
struct pending_ref {
	uint64_t id;
	uint64_t gid;
	uint16_t owner;
};

struct dpdk_cmd {
	uint32_t type;
	uint32_t output;
	uint64_t seq;
	struct fslot *slot, *old_slot;
	void *ptr;
};

enum dpdk_garbage_type {
	DG_FLOW, /* a dp_flow to free */
	DG_BUF,	 /* a dpdk_txbuf */
	/* A slot out of the flow table that the owner is done with: freed after a grace
	 * period from now, since other lcores may still hold it from a lookup. */
	DG_SLOT,
};

struct dpdk_garbage {
	uint32_t type;
	void *ptr;
};

/* A packet from the control plane (send, inject). */
struct dpdk_txbuf {
	uint32_t port_id;
	struct ponte_addr dst;
	uint16_t len;
	uint8_t data[DP_PIPE_BUF];
};

/* A packet from ponte_dp_input(). */
struct dpdk_in_slot {
	uint32_t port_id;
	uint16_t len;
	struct ponte_addr src;
	uint8_t data[DP_PIPE_BUF];
};

struct dpdk_lcore {
	struct dpdk_dp *d;
	unsigned idx; /* 0 .. nb_lcores - 1; RCU thread id, queue index */
	unsigned lcore_id;
	struct rte_mempool *pool;
	struct dp_pipe pipe;
	uint64_t flows_epoch; /* the pipe's epoch: moved by every command and adoption */
	struct dp_ring cmds;	  /* control -> lcore */
	struct dp_ring garbage;	  /* lcore -> control */
	struct dp_ring punts;	  /* lcore -> control */
	struct rte_ring *handoff; /* any lcore -> this one: frames of flows it owns */
	struct rte_ring *adopt;	  /* an old owner -> this one: struct dpdk_move */
	/* dpdk.idle: interrupt. Written by anyone who queued work for this lcore while it may
	 * sleep (dpdk_lcore_wake()); -1 in the other modes. */
	int wake_efd;
	_Atomic bool is_asleep;
	bool has_intr;			/* its queues' interrupts are in its epoll set */
	struct rte_epoll_event wake_ev; /* wake_efd in its epoll set */
	struct dp_htab by_id;	  /* flows it owns, for the pipeline's flow_by_id() */
	uint64_t next_seq;	  /* control thread's */
	_Atomic uint64_t done_seq;
	_Atomic bool is_stopping;
	bool is_running;
	/* Transmit batches, per NIC: its queue idx and its exception port's queue idx. */
	struct rte_mbuf *nic_tx[DPDK_MAX_NICS][DPDK_TX_BATCH];
	uint16_t nb_nic_tx[DPDK_MAX_NICS];
	struct rte_mbuf *exc_tx[DPDK_MAX_NICS][DPDK_TX_BATCH];
	uint16_t nb_exc_tx[DPDK_MAX_NICS];
	/* What the pipeline's tx_buf() handed out and tx() has not sent yet. */
	struct rte_mbuf *pending;
	/* What its tx_bufs() handed out for a batch and tx_buf_send() has not sent yet. */
	struct rte_mbuf *batch_m[DP_PIPE_BURST_OUT];
	uint8_t *scratch; /* DP_PIPE_BUF bytes, handed out when no mbuf is left */
	uint64_t now_ns;
	/* The frame the pipeline works on: where it came from, and through which MAC and NIC. */
	const struct ponte_addr *cur_src;
	struct rte_ether_addr cur_mac;
	unsigned cur_nic;
	unsigned nb_owned;
	/* Idle back-off. */
	unsigned nb_empty;
	uint32_t sleep_us;
	struct ponte_dp_lcore_stats st; /* written by this lcore only */
	/* Per logical NIC (its VLAN's frames): what this lcore received and queued to send; the
	 * driver counts per ethdev only. Written by this lcore only (NSTAT_ADD). */
	struct dpdk_nic_count {
		uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	} nic_st[DPDK_MAX_NICS];
};

#define LSTAT_ADD(l, field, n)                                                                     \
	__atomic_store_n(&(l)->st.field, (l)->st.field + (n), __ATOMIC_RELAXED)
#define NSTAT_ADD(l, k, field, n)                                                                  \
	__atomic_store_n(&(l)->nic_st[k].field, (l)->nic_st[k].field + (n), __ATOMIC_RELAXED)

/* Any thread, after queueing work for l (a command, a frame, flows to adopt): wake it if it
 * sleeps waiting for interrupts. Pairs with the fence of lcore.c's idle_interrupt(). */
static inline void dpdk_lcore_wake(struct dpdk_lcore *l)
{
	uint64_t one = 1;

	if (l->wake_efd < 0)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&l->is_asleep, memory_order_relaxed))
		(void)!write(l->wake_efd, &one, sizeof(one));
}

int dpdk_lcore_create(struct dpdk_dp *d, unsigned idx, unsigned lcore_id, struct dpdk_lcore **out);
void dpdk_lcore_free(struct dpdk_lcore *l);
/* The EAL's entry point for lcore arg (a struct dpdk_lcore). */
int dpdk_lcore_main(void *arg);
/* An lcore, for a frame of no port of ours (pkt parsed from m): when it is UDP to a port of
 * the owned range, or the first fragment of such a datagram, m is freed and counted
 * (owned_port_drops) and true returned; the kernel must not see it (owned.c). */
bool dpdk_owned_drop(struct dpdk_lcore *l, struct rte_mbuf *m, const struct dpdk_pkt *pkt);
/* Control thread, once the lcore has stopped: apply what it left in its command ring. */
void dpdk_lcore_drain_stopped(struct dpdk_lcore *l);

/* ---- the instance ---- */

struct dpdk_dp {
	struct ponte_dp base;
	const struct dp_srtp_engine *srtp;
	ponte_dp_log_fn log;
	void *log_ctx;
	uint32_t max_flows, max_ports, input_queue;

	/* Settings kept from the configuration. */
	bool is_idle_poll;
	bool is_idle_interrupt;
	uint32_t idle_sleep_us;
	uint32_t mempool_size;
	uint32_t mbuf_data; /* each mbuf's data room, headroom included: dpdk_mbuf_data() */

	/* The EAL and the ethdevs. */
	unsigned nb_lcores;
	unsigned lcore_ids[DPDK_MAX_LCORES];
	struct dpdk_lcore *lcores[DPDK_MAX_LCORES];
	unsigned nb_nics; /* dpdk.ports[]: logical NICs */
	/* Logical NIC k's ethdev is nic[eth_of[k]]'s: the first entry with its device (k itself,
	 * or an earlier VLAN of the same trunk port, whose nic[k] is then a copy that did not
	 * open it, is not polled, and differs in vlan and tx_off.vlan). */
	uint8_t eth_of[DPDK_MAX_NICS];
	struct dpdk_eth nic[DPDK_MAX_NICS];
	struct dpdk_eth exc[DPDK_MAX_NICS]; /* NIC k's exception port */
	/* IF_NAMESIZE: exception port k's kernel interface, "" if none */
	char tap_name[DPDK_MAX_NICS][16];
	/* The addresses configured for exception port k: which NIC a local address is behind
	 * when the exception port has no kernel interface to ask (a ring in a test). */
	struct ponte_addr nic_addrs[DPDK_MAX_NICS][DPDK_MAX_NIC_ADDRS];
	unsigned nb_nic_addrs[DPDK_MAX_NICS];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	/* Indirect mbufs (no data room) for IP fragments of frames too large for the TAP. */
	struct rte_mempool *frag_pools[RTE_MAX_NUMA_NODES];
	/* The kernel's path for frames to an unknown next hop, per NIC. */
	int raw_fd4[DPDK_MAX_NICS], raw_fd6[DPDK_MAX_NICS];

	/* Shared tables (ftable.c, neigh.c). */
	struct rte_hash *flows; /* struct fkey -> struct fslot * */
	struct rte_hash *local; /* struct pkey -> struct dport * */
	struct rte_hash *neigh; /* address -> MAC, written by lcore 0 */
	_Atomic uint32_t neigh_gen; /* dpdk_neigh_gen() */
	struct rte_ring *learn; /* lcores -> lcore 0: neighbours seen */
	struct rte_rcu_qsbr *qsbr;
	struct dport *_Atomic *ports; /* by id, 1..max_ports */
	struct dpdk_owned owned;      /* the port range the fast path owns (owned.c) */
	struct dp_ring input;	      /* ponte_dp_input() -> lcore 0 */
	_Atomic uint64_t input_drops;
	int punt_efd;

	/* The control thread's. */
	struct dport **c_ports;
	uint32_t nb_c_ports; /* open */
	uint32_t port_next; /* where add_port() looks for a free id first */
	struct dp_htab c_by_id, c_by_key; /* struct fslot * */
	struct fslot *c_free_slots;	  /* dpdk_slot_put()'s, for slot_alloc() */
	/* Local addresses with exact flows: how many (dpdk.c, for struct fslot.has_exact). */
	struct dp_htab c_exact;
	struct dp_htab pending_refs;	  /* flow id -> lcore index + 1, for flows not added yet */
	struct dpdk_defer *defer;	  /* withdrawn objects waiting for their grace period */
	unsigned nb_defer, cap_defer;
	unsigned next_owner;
	unsigned punt_next; /* the lcore punt_read() looks at first */
	/* Steering (steer.c). want_rebalance: set by lcores that hand frames over. */
	_Atomic bool want_rebalance;
	uint64_t last_rebalance_ns;
	uint64_t nb_steer_rules, nb_steer_failed, nb_moves;
};

/* Any lcore: the logical NIC of frame m, received on the ethdev of logical NIC k (the first
 * entry of its device). k itself unless several entries share the ethdev; then the one whose
 * VLAN the frame's 802.1Q tag names (stripped by the NIC or in the frame), or the untagged
 * entry for a frame with no tag, or a priority tag (VLAN 0), or an 802.1ad one. -1 when none
 * has it (dropped: wrong_vlan), -2 for a frame cut in its tag (truncated). */
static inline int dpdk_frame_nic(const struct dpdk_dp *d, unsigned k, const struct rte_mbuf *m)
{
	const struct dpdk_eth *e = &d->nic[k];
	uint16_t vid = 0;

	if (e->nb_vlan_nics < 2)
		return (int)k;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		vid = m->vlan_tci & 0x0fffu;
	} else if (m->data_len >= RTE_ETHER_HDR_LEN &&
		   rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type ==
		       rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		if (m->data_len < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
			return -2;
		vid = rte_be_to_cpu_16(
			  rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *, RTE_ETHER_HDR_LEN)
			      ->vlan_tci) &
		      0x0fffu;
	}
	for (unsigned i = 0; i < e->nb_vlan_nics; i++)
		if (e->vlan_ids[i] == vid)
			return e->vlan_nics[i];
	return -1;
}

/* Any lcore: the neighbour table's generation, which changes when an entry's MAC does (a new
 * entry leaves it). Read before a lookup, it dates what the lookup saw. */
static inline uint32_t dpdk_neigh_gen(const struct dpdk_dp *d)
{
	return atomic_load_explicit(&d->neigh_gen, memory_order_acquire);
}

static inline struct dport *dpdk_port(const struct dpdk_dp *d, uint32_t id)
{
	if (id < 1 || id > d->max_ports)
		return NULL;
	return atomic_load_explicit(&d->ports[id], memory_order_acquire);
}

/* ---- EAL (eal.c) and ethdevs (port.c) ---- */

/* "0000:01:00.0" or "01:00.0". */
bool dpdk_is_pci_address(const char *s);
/* The ethdev name device string dev gives (port.c): the vdev name before its arguments, or
 * the PCI address with its domain. Two dpdk.ports[] entries with the same one share it. */
void dpdk_device_name(const char *dev, char *name, size_t size);
/* The exception port of dpdk.ports[k]: its own settings, or for the first port the top-level
 * ones when it has none. key: the prefix of its keys in messages ("dpdk." or
 * "dpdk.ports[1]."). */
struct dpdk_exc_cfg {
	const char *device; /* NULL: a TAP named tap */
	const char *tap;
	const char *const *addrs;
	char key[32];
	char addrs_key[48];
};
void dpdk_port_exc(const struct ponte_dp_dpdk_config *dc, unsigned k, struct dpdk_exc_cfg *out);
/* "A/P" into an address and a prefix length. */
bool dpdk_parse_cidr(const char *s, struct ponte_addr *a, unsigned *prefix);
/* Check the settings, then start the EAL (or take the one running) and say which lcores
 * forward. Errors are logged naming the configuration key. */
int dpdk_eal_start(struct dpdk_dp *d, const struct ponte_dp_config *cfg);
void dpdk_eal_stop(struct dpdk_dp *d);
/* Open the NICs and their exception ports, with a queue pair per lcore each, and start
 * them. */
int dpdk_ports_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc);
void dpdk_ports_stop(struct dpdk_dp *d);
/* The NIC whose exception interface holds ip (its index, >= 0), -EADDRNOTAVAIL when none
 * does, -errno when their addresses cannot be read. With one NIC and no kernel interface (a
 * ring in a test) every address is NIC 0's; with several, an exception port without one
 * holds its configured dpdk.ports[].exception_addresses. */
int dpdk_exception_nic(const struct dpdk_dp *d, const struct ponte_addr *ip);
/* The first NIC's exception interface's first address of family, for a port opened on
 * "any". */
int dpdk_exception_addr(const struct dpdk_dp *d, int family, struct ponte_addr *out);

/* ---- the control thread's side (dpdk.c) ---- */

/* Queue a command for lcore l (waiting for room); its sequence number. */
uint64_t dpdk_cmd_send(struct dpdk_dp *d, struct dpdk_lcore *l, uint32_t type, struct fslot *slot,
		       struct fslot *old_slot, uint32_t output, void *ptr);
/* Free what the lcores gave back, and what is past its grace period. */
void dpdk_collect_garbage(struct dpdk_dp *d);

/* ---- steering (steer.c), control thread ---- */

/* Whether each NIC takes rte_flow QUEUE rules (sets nic[k].has_flow_steer); after the
 * ports started, with several lcores. */
void dpdk_steer_probe(struct dpdk_dp *d);
/* The steering rule of s (to its owner's queue), when the NIC takes rules; counted. */
void dpdk_steer_add(struct dpdk_dp *d, struct fslot *s);
void dpdk_steer_del(struct dpdk_dp *d, struct fslot *s);
/* If an lcore asked (want_rebalance) and the last look is old enough: move each flow group
 * whose frames all land on one other lcore than its owner there. */
void dpdk_steer_rebalance(struct dpdk_dp *d);

extern const struct dp_backend_ops dp_dpdk_backend;

#endif
