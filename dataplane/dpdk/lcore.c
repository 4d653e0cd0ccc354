/* SPDX-License-Identifier: MIT */
/*
 * The forwarding loop, run to completion on each lcore:
 *   commands from the control thread (flows, sends, injects);
 *   NIC receive queue -> parse -> bulk flow lookups -> the pipeline (unprotect, rewrite,
 *     protect) -> Ethernet/IP/UDP -> NIC transmit queue; what is no flow's media goes to the
 *     exception port (the kernel), or to the control plane for ports the fast path owns;
 *   the exception port's receive queue (what the kernel sends) -> NIC;
 *   frames other lcores handed over (their flow is owned here); on lcore 0, packets from
 *     ponte_dp_input() and the neighbours the others learned;
 *   a quiescent state for RCU, and a back-off sleep when nothing came.
 *
 * A flow's packets are processed only by its owning lcore, which alone holds its SRTP
 * contexts and counters: with several lcores, RSS spreads frames by 5-tuple, and a frame that
 * lands on another lcore than its flow's owner is handed over through the owner's ring.
 */
#include "dpdk.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include <ponte/demux.h>

/* mbuf->port of frames handed to another lcore: a ponte_dp_input() packet behind a struct
 * in_hdr, or a frame of NIC k (which its exception port and next hops are). No ethdev has
 * these ids. */
#define PORT_HANDED_INPUT RTE_MAX_ETHPORTS
#define PORT_HANDED_FRAME(k) (RTE_MAX_ETHPORTS + 1 + (k))
#define IS_HANDED_FRAME(m)                                                                         \
	((m)->port >= PORT_HANDED_FRAME(0) && (m)->port < PORT_HANDED_FRAME(DPDK_MAX_NICS))
#define IDLE_ROUNDS 64 /* empty rounds before the first sleep */
#define SLEEP_MIN_US 8
/* dpdk.idle: interrupt: the longest wait, should an event be missed (a neighbour another
 * lcore learnt wakes nobody). */
#define INTR_WAIT_MS 100
/* Every this many frames of a flow an lcore hands over, the control thread takes a look
 * (steer.c): the flow's group may be better owned here. */
#define REBALANCE_EVERY 64
/* Hops a frame may make between lcores: one, and one more if its flow moved meanwhile. */
#define MAX_HOPS 2

struct in_hdr {
	uint32_t port_id;
	struct ponte_addr src;
	uint16_t len;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t id_hash(uint64_t id)
{
	return dp_hash_bytes(&id, sizeof(id), 0);
}

static bool id_eq(const void *item, const void *key)
{
	return ((const struct fslot *)item)->id == *(const uint64_t *)key;
}

/* ---- transmit ---- */

static void nic_flush(struct dpdk_lcore *l, unsigned k)
{
	struct dpdk_dp *d = l->d;
	struct rte_mbuf **tx = l->nic_tx[k];
	uint16_t sent, nb = l->nb_nic_tx[k];

	if (nb == 0)
		return;
	/* Counted when queued: once sent, the mbufs may already be gone. */
	sent = rte_eth_tx_burst(d->nic[k].port_id, (uint16_t)l->idx, tx, nb);
	if (sent < nb) {
		LSTAT_ADD(l, drops[PONTE_DP_DROP_TX_FULL], nb - sent);
		LSTAT_ADD(l, tx_pkts, (uint64_t)0 - (nb - sent));
		NSTAT_ADD(l, k, tx_pkts, (uint64_t)0 - (nb - sent));
		for (uint16_t i = sent; i < nb; i++) {
			LSTAT_ADD(l, tx_bytes, (uint64_t)0 - tx[i]->pkt_len);
			NSTAT_ADD(l, k, tx_bytes, (uint64_t)0 - tx[i]->pkt_len);
			rte_pktmbuf_free(tx[i]);
		}
	}
	l->nb_nic_tx[k] = 0;
}

/* Queue m for NIC k (counted as sent; nic_flush() takes back what the queue refuses). */
static void nic_queue(struct dpdk_lcore *l, unsigned k, struct rte_mbuf *m)
{
	if (l->nb_nic_tx[k] == DPDK_TX_BATCH)
		nic_flush(l, k);
	LSTAT_ADD(l, tx_pkts, 1);
	LSTAT_ADD(l, tx_bytes, m->pkt_len);
	NSTAT_ADD(l, k, tx_pkts, 1);
	NSTAT_ADD(l, k, tx_bytes, m->pkt_len);
	l->nic_tx[k][l->nb_nic_tx[k]++] = m;
}

static void exc_flush(struct dpdk_lcore *l, unsigned k)
{
	struct rte_mbuf **tx = l->exc_tx[k];
	uint16_t sent, nb = l->nb_exc_tx[k];

	if (nb == 0)
		return;
	sent = rte_eth_tx_burst(l->d->exc[k].port_id, (uint16_t)l->idx, tx, nb);
	if (sent < nb) {
		LSTAT_ADD(l, drops[PONTE_DP_DROP_EXC_FULL], nb - sent);
		LSTAT_ADD(l, to_kernel, (uint64_t)0 - (nb - sent));
		rte_pktmbuf_free_bulk(tx + sent, nb - sent);
	}
	l->nb_exc_tx[k] = 0;
}

/* Queue m for exception port k (counted as given to the kernel; exc_flush() takes back what
 * the port refuses). */
static void exc_queue(struct dpdk_lcore *l, unsigned k, struct rte_mbuf *m)
{
	if (l->nb_exc_tx[k] == DPDK_TX_BATCH)
		exc_flush(l, k);
	LSTAT_ADD(l, to_kernel, 1);
	l->exc_tx[k][l->nb_exc_tx[k]++] = m;
}

/* A frame from NIC k that is the kernel's: to that NIC's exception port, in IP fragments if
 * it is longer than that port transmits (a jumbo frame, a datagram net_af_packet reassembled:
 * kfrag.c), each fragment a frame counted in to_kernel. */
static void to_kernel(struct dpdk_lcore *l, unsigned k, struct rte_mbuf *m)
{
	const struct dpdk_eth *x = &l->d->exc[k];
	struct rte_mbuf *frags[48];
	int n;

	if (likely(x->tx_frame_max == 0 || m->pkt_len <= x->tx_frame_max)) {
		exc_queue(l, k, m);
		return;
	}
	n = dpdk_kfrag(m, (uint16_t)(x->tx_frame_max - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN -
				     RTE_VLAN_HLEN),
		       l->pool, l->d->frag_pools[l->pool->socket_id < 0 ? 0 : l->pool->socket_id],
		       frags, RTE_DIM(frags));
	if (n <= 0) {
		/* Not IP, or no mbufs: the port could not have taken it either. */
		LSTAT_ADD(l, drops[n == -ENOMEM ? PONTE_DP_DROP_NO_MBUF : PONTE_DP_DROP_EXC_FULL], 1);
		return;
	}
	for (int i = 0; i < n; i++)
		exc_queue(l, k, frags[i]);
}

static void flush_all(struct dpdk_lcore *l)
{
	for (unsigned k = 0; k < l->d->nb_nics; k++) {
		nic_flush(l, k);
		exc_flush(l, k);
	}
}

/*
 * Send m, whose data is a UDP payload, from Ponte port p to dst: headers, the next hop's MAC,
 * the queue of p's NIC (the one whose exception interface holds p's address); through that
 * NIC's kernel interface when the next hop is not known yet. m is consumed.
 */
/* The words a next-hop cache keeps of a destination: its family and address. */
static void nh_dst(const struct ponte_addr *dst, uint64_t *a0, uint64_t *a1)
{
	*a1 = 0;
	if (dst->family == AF_INET) {
		uint32_t a;

		memcpy(&a, dst->ip, 4);
		*a0 = a;
	} else {
		memcpy(a0, dst->ip, 8);
		memcpy(a1, dst->ip + 8, 8);
	}
}

/* The MAC of the next hop to dst behind NIC k: from the output's cache nh when it holds dst's
 * for NIC k, taken while the neighbour table had the generation it has now (no entry's MAC
 * has changed since: entries are never deleted); else the table's, cached. At 200,000 flows
 * the table's lookup is a DRAM miss or two per packet; the cache shares the line of the
 * output's latch reference, which the pipeline prefetches. */
static bool next_hop(struct dpdk_lcore *l, unsigned k, const struct ponte_addr *dst,
		     struct dp_nh_cache *nh, struct rte_ether_addr *mac)
{
	uint64_t gen = dpdk_neigh_gen(l->d) | (uint64_t)dst->family << 32;
	uint64_t a0, a1;

	nh_dst(dst, &a0, &a1);
	if (nh != NULL && nh->w[0] != 0 && ((nh->w[0] >> 48) & 0xff) == k && nh->w[1] == gen &&
	    nh->w[2] == a0 && nh->w[3] == a1) {
		/* As rte_ether_addr_copy() will load it (neigh.c's dpdk_neigh_lookup()). */
		uint32_t lo = (uint32_t)nh->w[0];
		uint16_t hi = (uint16_t)(nh->w[0] >> 32);

		memcpy(mac->addr_bytes, &lo, 4);
		memcpy(mac->addr_bytes + 4, &hi, 2);
		return true;
	}
	if (!dpdk_neigh_lookup(l->d, k, dst, mac))
		return false;
	if (nh != NULL)
		*nh = (struct dp_nh_cache){.w = {dpdk_neigh_word(k, mac), gen, a0, a1}};
	return true;
}

static bool send_payload(struct dpdk_lcore *l, const struct dport *p, const struct ponte_addr *dst,
			 struct rte_mbuf *m, struct dp_nh_cache *nh)
{
	struct dpdk_dp *d = l->d;
	struct rte_ether_addr mac;
	unsigned k = p->nic;
	bool is_known = next_hop(l, k, dst, nh, &mac);

	/* Back to the source of the frame at hand (an echo, our reports): its own MAC, if the
	 * frame came in on the NIC this goes out of. */
	if (!is_known && l->cur_src != NULL && l->cur_nic == k &&
	    l->cur_src->family == dst->family &&
	    memcmp(l->cur_src->ip, dst->ip, dst->family == AF_INET ? 4 : 16) == 0) {
		rte_ether_addr_copy(&l->cur_mac, &mac);
		is_known = true;
	}
	if (!is_known)
		memset(&mac, 0, sizeof(mac));
	if (dpdk_build(m, &p->local, dst, &d->nic[k].mac, &mac, &d->nic[k].tx_off) != 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	if (!is_known) {
		if (dpdk_neigh_via_kernel(l, k, m, dst) != 0)
			return false;
		LSTAT_ADD(l, tx_via_kernel, 1);
		return true;
	}
	nic_queue(l, k, m);
	return true;
}

/* Send len bytes at buf (in m when m is not NULL) from port p to dst, as they are; nh: the
 * sending output's next-hop cache, or NULL. */
static bool send_from(struct dpdk_lcore *l, const struct dport *p, const struct ponte_addr *dst,
		      const uint8_t *buf, size_t len, struct rte_mbuf *m, struct dp_nh_cache *nh)
{
	switch (p->kind) {
	case DPORT_FN:
		rte_pktmbuf_free(m);
		return p->tx_fn(p->tx_ctx, buf, len) == 0;
	case DPORT_KERNEL: {
		struct sockaddr_storage ss;
		socklen_t slen;

		memset(&ss, 0, sizeof(ss));
		if (dst->family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(dst->port);
			memcpy(&s6->sin6_addr, dst->ip, 16);
			slen = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons(dst->port);
			memcpy(&s4->sin_addr, dst->ip, 4);
			slen = sizeof(*s4);
		}
		rte_pktmbuf_free(m);
		return sendto(p->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, slen) >= 0;
	}
	default:
		if (m == NULL) {
			LSTAT_ADD(l, drops[PONTE_DP_DROP_NO_MBUF], 1);
			return false;
		}
		rte_pktmbuf_data_len(m) = (uint16_t)len;
		rte_pktmbuf_pkt_len(m) = (uint32_t)len;
		return send_payload(l, p, dst, m, nh);
	}
}

/* ---- the pipeline's hooks ---- */

static uint8_t *pipe_tx_buf(void *be)
{
	struct dpdk_lcore *l = be;

	if (l->pending == NULL)
		l->pending = rte_pktmbuf_alloc(l->pool);
	/* No mbuf: a buffer all the same (the pipeline writes before it sends); tx() then
	 * fails and the flow counts the drop. */
	return l->pending != NULL ? rte_pktmbuf_mtod(l->pending, uint8_t *) : l->scratch;
}

static bool pipe_tx(void *be, uint32_t port_id, const struct ponte_addr *dst, size_t len,
		    struct dp_nh_cache *nh)
{
	struct dpdk_lcore *l = be;
	const struct dport *p = dpdk_port(l->d, port_id);
	struct rte_mbuf *m = l->pending;
	const uint8_t *buf = m != NULL ? rte_pktmbuf_mtod(m, uint8_t *) : l->scratch;

	if (p == NULL)
		return false;
	l->pending = NULL;
	return send_from(l, p, dst, buf, len, m, nh);
}

static unsigned pipe_tx_bufs(void *be, uint8_t *bufs[], unsigned n)
{
	struct dpdk_lcore *l = be;
	unsigned k;

	for (k = 0; k < n; k++) {
		if (l->batch_m[k] == NULL && (l->batch_m[k] = rte_pktmbuf_alloc(l->pool)) == NULL)
			break;
		bufs[k] = rte_pktmbuf_mtod(l->batch_m[k], uint8_t *);
	}
	return k;
}

static bool pipe_tx_buf_send(void *be, unsigned k, uint32_t port_id, const struct ponte_addr *dst,
			     size_t len, struct dp_nh_cache *nh)
{
	struct dpdk_lcore *l = be;
	const struct dport *p = dpdk_port(l->d, port_id);
	struct rte_mbuf *m = l->batch_m[k];

	if (p == NULL)
		return false;
	l->batch_m[k] = NULL;
	return send_from(l, p, dst, rte_pktmbuf_mtod(m, uint8_t *), len, m, nh);
}

/* Whether slot s, which the pipeline's hint remembers, is still flow id's and this lcore's
 * with an entry: then it is in by_id, as the lookup would find it. A slot is never freed
 * while the dataplane lives (dpdk_slot_put()): a retired one has id 0, a reused one another
 * flow's id (ids are never reused) or no entry yet; an owner or transit mark this lcore did
 * not set means it moved (apply()'s DCMD_MOVE sets both before it returns). One line of the
 * slot, where the lookup reads three or four in all. */
static bool hint_holds(const struct dpdk_lcore *l, const struct fslot *s, uint64_t id)
{
	return __atomic_load_n(&s->id, __ATOMIC_RELAXED) == id &&
	       __atomic_load_n(&s->owner, __ATOMIC_RELAXED) == l->idx &&
	       !atomic_load_explicit(&s->is_in_transit, memory_order_relaxed) && s->cur != NULL;
}

static struct dp_flow *pipe_flow_by_id(void *be, uint64_t id, void **hint)
{
	struct dpdk_lcore *l = be;
	struct fslot *s = hint != NULL ? *hint : NULL;

	/* Only the flows this lcore owns: another's state is its owner's alone. The pipeline
	 * then does without (a latched address: the output's own dst). */
	if (s != NULL && hint_holds(l, s, id))
		return s->cur;
	s = dp_htab_find(&l->by_id, id_hash(id), id_eq, &id);
	if (hint != NULL)
		*hint = s;
	return s != NULL ? s->cur : NULL;
}

static void punt(struct dpdk_lcore *l, uint32_t port_id, const struct ponte_addr *src,
		 const uint8_t *pkt, size_t len)
{
	struct ponte_dp_punt *slot;

	if (len > sizeof(slot->data) || (slot = dp_ring_reserve(&l->punts, NULL)) == NULL) {
		LSTAT_ADD(l, punt_drops, 1);
		return;
	}
	slot->port_id = port_id;
	slot->src = *src;
	slot->len = (uint16_t)len;
	memcpy(slot->data, pkt, len);
	LSTAT_ADD(l, punted, 1);
	if (dp_ring_push_wake(&l->punts)) {
		uint64_t one = 1;

		(void)!write(l->d->punt_efd, &one, sizeof(one));
	}
}

/* The pipeline's prefetch_port(): what a send from port_id reads of the port (its kind, NIC
 * and address), two misses per packet with 600,000 ports if left to the send. The port stays
 * valid until this lcore's next quiescent state, after the burst. */
static void pipe_prefetch_port(void *be, uint32_t port_id)
{
	const struct dpdk_lcore *l = be;
	const struct dport *p = dpdk_port(l->d, port_id);

	if (p != NULL) {
		rte_prefetch0(p);
		rte_prefetch0(&p->local);
	}
}

static void pipe_mirror(void *be, const struct dp_flow *f, const struct ponte_addr *src,
			const uint8_t *pkt, size_t len)
{
	punt(be, f->spec.port_id, src, pkt, len);
}

/* ---- receive ---- */

/* One media packet of flow f, in a buffer of DP_PIPE_BUF bytes, through the pipeline. True
 * when the flow took it (authenticated, from its source), as its counters say. */
static bool run_pipeline(struct dpdk_lcore *l, struct dp_flow *f, const struct ponte_addr *src,
			 bool is_rtcp, uint8_t *pkt, size_t len)
{
	uint64_t auth = f->st.drops[PONTE_DROP_AUTH];
	uint64_t replay = f->st.drops[PONTE_DROP_REPLAY];
	uint64_t taken = f->st.rtp_in + f->st.rtcp_in;

	LSTAT_ADD(l, fast_pkts, 1);
	dp_pipe_input(&l->pipe, f, src, is_rtcp, pkt, len, l->now_ns);
	LSTAT_ADD(l, srtp_auth_fail, f->st.drops[PONTE_DROP_AUTH] - auth);
	LSTAT_ADD(l, srtp_replay, f->st.drops[PONTE_DROP_REPLAY] - replay);
	return f->st.rtp_in + f->st.rtcp_in != taken;
}

/* The slot of a flow on port p from src: the exact one, else the port-wide one. */
static struct fslot *lookup_flow(const struct dpdk_dp *d, const struct dport *p,
				 const struct ponte_addr *src)
{
	struct fkey k;
	void *data;

	dpdk_fkey_make(&k, p, p->id, src, false);
	if (rte_hash_lookup_data(d->flows, &k, &data) >= 0)
		return data;
	k.is_any = 1;
	k.rport = 0;
	memset(k.rip, 0, sizeof(k.rip));
	return rte_hash_lookup_data(d->flows, &k, &data) >= 0 ? data : NULL;
}

static bool is_handed(const struct rte_mbuf *m)
{
	return m != NULL && (IS_HANDED_FRAME(m) || m->port == PORT_HANDED_INPUT);
}

/* A frame whose flow (slot s) is owned by another lcore: into the owner's ring. */
static void hand_over(struct dpdk_lcore *l, struct fslot *s, struct rte_mbuf *m, uint16_t mark)
{
	struct dpdk_lcore *o = l->d->lcores[__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE)];

	/* Handed over already, and its flow moved meanwhile (steer.c): once more, to the new
	 * owner. The hop count lives in hash.usr, unused once the frame is parsed. */
	if (is_handed(m)) {
		if (m->hash.usr >= MAX_HOPS)
			goto drop;
		m->hash.usr++;
	} else {
		m->hash.usr = 1;
	}
	/* Marked before the ring: the owner may take it at once. */
	m->port = mark;
	if (rte_ring_mp_enqueue(o->handoff, m) != 0)
		goto drop;
	LSTAT_ADD(l, handoffs, 1);
	dpdk_lcore_wake(o);
	return;
drop:
	LSTAT_ADD(l, drops[PONTE_DP_DROP_HANDOFF_FULL], 1);
	rte_pktmbuf_free(m);
}

/* Flows an old owner passed here (steer.c): this lcore's from now on. */
static unsigned drain_adopt(struct dpdk_lcore *l)
{
	struct dpdk_move *mv;
	unsigned n = 0;

	while (rte_ring_sc_dequeue(l->adopt, (void **)&mv) == 0) {
		l->flows_epoch++; /* pipe_flow_by_id() finds more now */
		for (unsigned i = 0; i < mv->nb; i++) {
			struct fslot *s = mv->slots[i];

			if (dp_htab_insert(&l->by_id, id_hash(s->id), s) == 0)
				l->nb_owned++;
			atomic_store_explicit(&s->is_in_transit, false, memory_order_relaxed);
		}
		__atomic_store_n(&l->st.nb_flows, l->nb_owned, __ATOMIC_RELAXED);
		/* The last touch: the control thread frees mv once it sees this. */
		atomic_store_explicit(&mv->is_done, true, memory_order_release);
		n++;
	}
	return n;
}

/* Whether this lcore owns flow slot s, for frame m (NULL: a ponte_dp_input() packet). A frame
 * straight from the NIC is counted for the lcore that received it (steer.c's looks), and
 * every REBALANCE_EVERY frames an lcore that does not own the flow asks for a look. */
static bool is_owner(struct dpdk_lcore *l, struct fslot *s, const struct rte_mbuf *m)
{
	uint16_t owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);

	if (m != NULL && !is_handed(m)) {
		uint32_t n = s->rx_on[l->idx] + 1;

		__atomic_store_n(&s->rx_on[l->idx], n, __ATOMIC_RELAXED);
		if (owner != l->idx && n % REBALANCE_EVERY == 0 &&
		    !atomic_exchange_explicit(&l->d->want_rebalance, true, memory_order_relaxed)) {
			uint64_t one = 1;

			(void)!write(l->d->punt_efd, &one, sizeof(one));
		}
	}
	if (owner != l->idx)
		return false;
	/* Just moved here: the old owner is done with it and is passing it (it published the
	 * owner first); adopt it before the first use. */
	while (atomic_load_explicit(&s->is_in_transit, memory_order_acquire))
		if (drain_adopt(l) == 0)
			rte_pause();
	return true;
}

/* What a frame's flow lookup found for it. */
struct rx_item {
	struct rte_mbuf *m;
	struct dpdk_pkt pkt;
	uint8_t cls; /* enum ponte_pkt_class of the payload */
	uint8_t nic; /* the NIC it came in on */
	struct fkey key;
	hash_sig_t sig; /* key's hash in the flow table */
	void *flow;	/* struct fslot * */
};

/* A UDP datagram no flow of this lcore takes: the control plane's (a port the fast path
 * owns) or the kernel's (a port of a socket, or no port of ours). */
static void not_media(struct dpdk_lcore *l, struct rx_item *it, bool is_media)
{
	struct pkey k;
	void *data;
	const struct dport *p = NULL;

	dpdk_pkey_make(&k, &it->pkt.dst);
	if (rte_hash_lookup_data(l->d->local, &k, &data) >= 0)
		p = data;
	if (is_media && p != NULL)
		LSTAT_ADD(l, no_flow, 1);
	if (p != NULL && atomic_load_explicit(&p->rx_lcore, memory_order_relaxed) != l->idx)
		atomic_store_explicit(&((struct dport *)p)->rx_lcore, (uint16_t)l->idx,
				      memory_order_relaxed);
	if (p != NULL && p->is_owned) {
		/* Nothing in the kernel listens there: STUN, DTLS or strays go up (RFC 7983). */
		punt(l, p->id, &it->pkt.src,
		     rte_pktmbuf_mtod_offset(it->m, uint8_t *, it->pkt.payload_off),
		     it->pkt.payload_len);
		rte_pktmbuf_free(it->m);
		return;
	}
	if (p == NULL && dpdk_owned_drop(l, it->m, &it->pkt))
		return;
	to_kernel(l, it->nic, it->m);
}

/* The pipeline's begin() and end() around a packet of a burst (ctx: its rx_item). The way
 * back to the source, as its own frame shows it: usable at once for what this packet makes,
 * and learnt only if the flow took it, so that a forged frame cannot divert the media
 * elsewhere. */
static void pipe_begin(void *be, void *ctx)
{
	struct dpdk_lcore *l = be;
	struct rx_item *it = ctx;

	l->cur_src = &it->pkt.src;
	l->cur_nic = it->nic;
	rte_ether_addr_copy(&it->pkt.src_mac, &l->cur_mac);
}

/* Learn the way back to the source of a packet its flow took (the MAC its frame came from),
 * unless the flow's earlier packets saw the neighbour table hold it: the flow's remote is
 * fixed (an exact flow's, or the source a latching flow latched, which every packet it takes
 * comes from), the frame came from the same NIC and MAC, and no entry has changed since. At
 * 200,000 flows the table's lookup is a DRAM miss or two per packet. */
static void learn_src(struct dpdk_lcore *l, struct rx_item *it)
{
	struct fslot *s = it->flow;
	const struct dp_flow *f = s != NULL ? s->cur : NULL;
	uint64_t w = dpdk_neigh_word(it->nic, &it->pkt.src_mac);
	uint32_t gen = dpdk_neigh_gen(l->d);
	bool is_fixed = f != NULL && (s->is_exact || (f->is_latching &&
						     ponte_addr_equal(&f->latched, &it->pkt.src)));

	if (is_fixed && s->l2_src == w && s->l2_gen == gen)
		return;
	if (dpdk_neigh_learn(l, it->nic, &it->pkt.src, &it->pkt.src_mac) && is_fixed) {
		s->l2_src = w;
		s->l2_gen = gen;
	} else if (s != NULL) {
		s->l2_src = 0;
	}
}

static void pipe_end(void *be, void *ctx, int verdict)
{
	struct dpdk_lcore *l = be;
	struct rx_item *it = ctx;

	LSTAT_ADD(l, fast_pkts, 1);
	if (verdict == PONTE_DROP_AUTH)
		LSTAT_ADD(l, srtp_auth_fail, 1);
	else if (verdict == PONTE_DROP_REPLAY)
		LSTAT_ADD(l, srtp_replay, 1);
	else if (verdict == DP_PIPE_TAKEN)
		learn_src(l, it);
	l->cur_src = NULL;
}

/* Forwarding in place (struct dp_pipe.tx_own): the frame that brought packet ctx (a struct
 * rx_item) goes out again, its data cut to the rewritten payload that dpdk_build() then puts
 * new headers in front of (the old ones are in the headroom it prepends into). rx_frames()
 * frees only the frames not taken so. */
static bool pipe_tx_own(void *be, void *ctx, uint32_t port_id, const struct ponte_addr *dst,
			size_t len, struct dp_nh_cache *nh)
{
	struct dpdk_lcore *l = be;
	struct rx_item *it = ctx;
	const struct dport *p = dpdk_port(l->d, port_id);
	struct rte_mbuf *m = it->m;

	if (p == NULL)
		return false;
	it->m = NULL;
	m->data_off = (uint16_t)(m->data_off + it->pkt.payload_off);
	/* What the receive side left (its flags, a hand-over's mark in port), cleared as
	 * rte_pktmbuf_alloc() would: the mbuf is an output now. Its kind (indirect, external
	 * buffer) stays. */
	m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	m->tx_offload = 0;
	m->packet_type = 0;
	m->port = l->d->nic[it->nic].port_id;
	return send_from(l, p, dst, rte_pktmbuf_mtod(m, uint8_t *), len, m, nh);
}

/* A media frame of an installed flow: into the burst at bp when this lcore owns the flow. */
static bool media(struct dpdk_lcore *l, struct rx_item *it, struct dp_pipe_pkt *bp)
{
	struct fslot *s = it->flow;
	struct dp_flow *f;

	if (!is_owner(l, s, it->m)) {
		hand_over(l, s, it->m, (uint16_t)PORT_HANDED_FRAME(it->nic));
		return false;
	}
	f = s->cur;
	/* Published, its entry not yet here; or its port closed (its flows stop matching, as
	 * in the socket backend): as if no flow. */
	if (f == NULL || dpdk_port(l->d, f->port_id) == NULL) {
		not_media(l, it, true);
		return false;
	}
	*bp = (struct dp_pipe_pkt){
	    .f = f,
	    .src = &it->pkt.src,
	    .pkt = rte_pktmbuf_mtod_offset(it->m, uint8_t *, it->pkt.payload_off),
	    .len = it->pkt.payload_len,
	    .is_rtcp = it->cls == PONTE_PKT_RTCP,
	    .ctx = it,
	};
	return true;
}

/* What the pipeline reads first of a flow: its head's first line (contexts, flags, the
 * port, the latched source; struct dp_flow). */
static void prefetch_flow(const struct dp_flow *f)
{
	rte_prefetch0(f);
}

/* Whether most media of this lcore's last burst were of port-wide flows (per thread: an lcore
 * is one). Then the next burst looks up the port-wide key of every packet first, and the exact
 * key only for the packets whose port-wide flow is marked as having exact flows beside it
 * (struct fslot.has_exact) or that have none: one lookup per packet for a bridged call's
 * media, where both keys were looked up before (with 200,000 flows, each key's hash bucket
 * and key entry come from DRAM). Otherwise the exact key first, the port-wide one for the
 * misses. */
static __thread bool is_mostly_any;

_Static_assert(DPDK_BURST <= RTE_HASH_LOOKUP_BULK_MAX, "a burst's keys in one lookup");

/* The flows of the nb media frames items[idx[..]], whose exact keys keys[0..nb) hold: the
 * exact flow, else the port-wide one. An exact flow added while a burst is on its way may
 * be seen only by the next burst (its port-wide flow's mark is set after the table has it),
 * as if the burst had come just before; a packet never gets a flow of another key. */
static void lookup_burst(struct dpdk_lcore *l, struct rx_item *items, unsigned *idx,
			 const void **keys, hash_sig_t *sigs, unsigned nb)
{
	struct fkey any[DPDK_BURST];
	void *data[DPDK_BURST];
	uint64_t hits = 0;
	unsigned nb_miss = 0, nb_exact = 0;

	if (is_mostly_any) {
		for (unsigned j = 0; j < nb; j++) {
			sigs[nb + j] = dpdk_fkey_rx(&any[j], &items[idx[j]].pkt.dst, NULL);
			keys[nb + j] = &any[j];
		}
		if (rte_hash_lookup_with_hash_bulk_data(l->d->flows, keys + nb, sigs + nb, nb,
							&hits, data) < 0)
			hits = 0;
		for (unsigned j = 0; j < nb; j++)
			if ((hits >> j) & 1) {
				items[idx[j]].flow = data[j];
				rte_prefetch0(data[j]);
			}
		/* The exact key of those that need it. */
		for (unsigned j = 0; j < nb; j++) {
			const struct fslot *s = items[idx[j]].flow;

			if (s != NULL && !atomic_load_explicit(&s->has_exact, memory_order_relaxed))
				continue;
			keys[nb_miss] = keys[j];
			sigs[nb_miss] = sigs[j];
			idx[nb_miss++] = idx[j];
		}
		hits = 0;
		if (nb_miss > 0 && rte_hash_lookup_with_hash_bulk_data(l->d->flows, keys, sigs,
								       nb_miss, &hits, data) >= 0)
			for (unsigned j = 0; j < nb_miss; j++)
				if ((hits >> j) & 1) {
					items[idx[j]].flow = data[j];
					nb_exact++;
				}
		is_mostly_any = 2 * nb_exact < nb;
		return;
	}
	/* Exact flows (one remote) first, then port-wide ones for what they missed. */
	if (rte_hash_lookup_with_hash_bulk_data(l->d->flows, keys, sigs, nb, &hits, data) >= 0) {
		for (unsigned j = 0; j < nb; j++) {
			struct rx_item *it = &items[idx[j]];

			if (hits & (1ull << j)) {
				it->flow = data[j];
				nb_exact++;
				continue;
			}
			sigs[nb_miss] = dpdk_fkey_rx(&it->key, &it->pkt.dst, NULL);
			keys[nb_miss] = &it->key;
			idx[nb_miss++] = idx[j];
		}
	}
	is_mostly_any = 2 * nb_exact < nb;
	hits = 0;
	if (nb_miss > 0 && rte_hash_lookup_with_hash_bulk_data(l->d->flows, keys, sigs, nb_miss,
							       &hits, data) >= 0)
		for (unsigned j = 0; j < nb_miss; j++)
			if (hits & (1ull << j))
				items[idx[j]].flow = data[j];
}

/* The entries of the flows this lcore owns that items[0..n) found, and the lines media()
 * reads of them, asked for a pass at a time: slot, then entry, then the entry's port. One
 * after the other per packet, each is a dependent miss (a DRAM round trip with 200,000
 * flows); so, all the burst's misses of one kind overlap. */
/* The most of a frame rx_frames() asks for ahead: a G.711 packet's frame (226 bytes); of a
 * larger one, the hardware prefetcher follows the crypto's sequential reads. */
#define RX_PREFETCH 256u

static void prefetch_owned(struct dpdk_lcore *l, struct rx_item *items, unsigned n)
{
	const struct dp_flow *fl[DPDK_BURST];

	for (unsigned i = 0; i < n; i++)
		if (items[i].flow != NULL)
			rte_prefetch0(items[i].flow);
	for (unsigned i = 0; i < n; i++) {
		const struct fslot *s = items[i].flow;

		fl[i] = NULL;
		/* cur is the owner's: read only where this lcore is, and not while the slot
		 * moves here (is_owner() adopts it first). */
		if (s == NULL || __atomic_load_n(&s->owner, __ATOMIC_RELAXED) != l->idx ||
		    atomic_load_explicit(&s->is_in_transit, memory_order_relaxed))
			continue;
		fl[i] = s->cur;
		if (fl[i] != NULL)
			prefetch_flow(fl[i]);
	}
	for (unsigned i = 0; i < n; i++)
		if (fl[i] != NULL && fl[i]->port_id >= 1 && fl[i]->port_id <= l->d->max_ports)
			rte_prefetch0(&l->d->ports[fl[i]->port_id]);
}

/* A burst of frames from NIC nic, or handed over from another lcore (nic < 0: each names
 * its NIC in its mark). Not m->port: some PMDs (net_ring) leave it unset. */
static void rx_frames(struct dpdk_lcore *l, int nic, struct rte_mbuf **pkts, unsigned n)
{
	struct dpdk_dp *d = l->d;
	struct rx_item items[DPDK_BURST];
	const void *keys[2 * DPDK_BURST];
	hash_sig_t sigs[2 * DPDK_BURST];
	unsigned media_idx[DPDK_BURST];
	unsigned nb_media = 0, nb_burst = 0;
	struct dp_pipe_pkt burst[DPDK_BURST];
	struct rx_item *done[DPDK_BURST];
	uint64_t nb_rx = 0, rx_len = 0;
	/* A device with several VLANs: each frame counted for its own (per burst otherwise). */
	bool is_trunk = nic >= 0 && d->nic[nic].nb_vlan_nics >= 2;

	/* The mbufs, then their frames' first RX_PREFETCH bytes, all asked for before the first
	 * is parsed: the NIC (or the lcore that handed them over) wrote them, they are not in this
	 * core's caches, and one after the other the misses would add up. The payload too: with
	 * the UDP checksum checked by the NIC, nothing reads it before the SRTP burst, which
	 * would wait for each packet's lines in turn (measured: a fifth of the burst's time). */
	for (unsigned i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *data = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		unsigned len = RTE_MIN(rte_pktmbuf_data_len(pkts[i]), RX_PREFETCH);

		for (unsigned off = 0; off < len; off += RTE_CACHE_LINE_SIZE)
			rte_prefetch0(data + off);
	}
	for (unsigned i = 0; i < n; i++) {
		struct rx_item *it = &items[i];

		it->m = pkts[i];
		it->flow = NULL;
		it->cls = PONTE_PKT_UNKNOWN;
		if (!IS_HANDED_FRAME(it->m)) {
			/* Its VLAN's logical NIC, when several share the device. */
			int k = dpdk_frame_nic(d, (unsigned)nic, it->m);

			nb_rx++;
			rx_len += it->m->pkt_len;
			it->nic = (uint8_t)(k >= 0 ? k : nic);
			if (k < 0) {
				it->pkt.verdict = DPKT_DROP;
				it->pkt.reason = k == -2 ? PONTE_DP_DROP_TRUNCATED
							 : PONTE_DP_DROP_WRONG_VLAN;
				continue;
			}
			if (is_trunk) {
				NSTAT_ADD(l, it->nic, rx_pkts, 1);
				NSTAT_ADD(l, it->nic, rx_bytes, it->m->pkt_len);
			}
		} else {
			it->nic = (uint8_t)(it->m->port - PORT_HANDED_FRAME(0));
		}
		/* A handed frame was parsed once already: untagged since. */
		dpdk_parse(it->m, IS_HANDED_FRAME(it->m) ? 0 : d->nic[it->nic].vlan, &it->pkt);
		if (it->pkt.verdict != DPKT_UDP)
			continue;
		if (unlikely(it->pkt.is_cksum_partial))
			LSTAT_ADD(l, udp_cksum_partial, 1);
		it->cls = (uint8_t)ponte_demux_classify(
		    rte_pktmbuf_mtod_offset(it->m, const uint8_t *, it->pkt.payload_off),
		    it->pkt.payload_len);
		if (it->cls != PONTE_PKT_RTP && it->cls != PONTE_PKT_RTCP)
			continue;
		sigs[nb_media] = dpdk_fkey_rx(&it->key, &it->pkt.dst, &it->pkt.src);
		keys[nb_media] = &it->key;
		media_idx[nb_media++] = i;
	}
	/* Counted per burst: the counters' line is written once. */
	LSTAT_ADD(l, rx_pkts, nb_rx);
	LSTAT_ADD(l, rx_bytes, rx_len);
	if (!is_trunk && nic >= 0 && nb_rx > 0) {
		NSTAT_ADD(l, nic, rx_pkts, nb_rx);
		NSTAT_ADD(l, nic, rx_bytes, rx_len);
	}
	if (nb_media > 0)
		lookup_burst(l, items, media_idx, keys, sigs, nb_media);
	prefetch_owned(l, items, n);
	/* In arrival order, so that a flow's packets keep theirs; the media of the flows this
	 * lcore owns go through the pipeline together, in that order, after the rest. */
	for (unsigned i = 0; i < n; i++) {
		struct rx_item *it = &items[i];

		switch (it->pkt.verdict) {
		case DPKT_DROP:
			LSTAT_ADD(l, drops[it->pkt.reason], 1);
			rte_pktmbuf_free(it->m);
			break;
		case DPKT_KERNEL:
			if (dpdk_owned_drop(l, it->m, &it->pkt))
				break;
			if (it->pkt.reason == DPKT_K_OPTIONS)
				LSTAT_ADD(l, ip_options, 1);
			else if (it->pkt.reason == DPKT_K_FRAGMENT)
				LSTAT_ADD(l, fragments, 1);
			to_kernel(l, it->nic, it->m);
			break;
		default:
			if (it->flow == NULL)
				not_media(l, it,
					  it->cls == PONTE_PKT_RTP || it->cls == PONTE_PKT_RTCP);
			else if (media(l, it, &burst[nb_burst]))
				done[nb_burst++] = it;
		}
	}
	if (nb_burst == 0)
		return;
	dp_pipe_input_burst(&l->pipe, burst, nb_burst, l->now_ns);
	/* What the pipeline did not send in place (pipe_tx_own()). */
	{
		struct rte_mbuf *fin[DPDK_BURST];
		unsigned nb_fin = 0;

		for (unsigned j = 0; j < nb_burst; j++)
			if (done[j]->m != NULL)
				fin[nb_fin++] = done[j]->m;
		if (nb_fin > 0)
			rte_pktmbuf_free_bulk(fin, nb_fin);
	}
}

/* A packet from ponte_dp_input() (a socket another component reads), in buf of DP_PIPE_BUF
 * bytes; m holds it when it came handed over, else NULL. */
static void rx_input(struct dpdk_lcore *l, uint32_t port_id, const struct ponte_addr *src,
		     uint8_t *buf, size_t len, struct rte_mbuf *m)
{
	const struct dport *p = dpdk_port(l->d, port_id);
	enum ponte_pkt_class cls = ponte_demux_classify(buf, len);
	struct fslot *s = NULL;

	if (m == NULL || m->port != PORT_HANDED_INPUT)
		LSTAT_ADD(l, input_pkts, 1);

	if (p != NULL && (cls == PONTE_PKT_RTP || cls == PONTE_PKT_RTCP))
		s = lookup_flow(l->d, p, src);
	if (s != NULL && !is_owner(l, s, m)) {
		struct rte_mbuf *c = m;
		struct in_hdr *h;

		if (c == NULL && (c = rte_pktmbuf_alloc(l->pool)) == NULL) {
			LSTAT_ADD(l, drops[PONTE_DP_DROP_NO_MBUF], 1);
			return;
		}
		if (m == NULL) {
			/* The header first, then the packet at a fixed offset: the owner works
			 * on it in place, DP_PIPE_BUF bytes of room behind it. */
			h = rte_pktmbuf_mtod(c, struct in_hdr *);
			h->port_id = port_id;
			h->src = *src;
			h->len = (uint16_t)len;
			memcpy(rte_pktmbuf_mtod_offset(c, uint8_t *, 64), buf, len);
		}
		hand_over(l, s, c, PORT_HANDED_INPUT);
		return;
	}
	if (s != NULL && s->cur != NULL)
		run_pipeline(l, s->cur, src, cls == PONTE_PKT_RTCP, buf, len);
	else
		LSTAT_ADD(l, no_flow, 1);
	rte_pktmbuf_free(m);
}

static unsigned drain_input(struct dpdk_lcore *l)
{
	struct dpdk_in_slot *in;
	unsigned n = 0;

	while (n < 4 * DPDK_BURST && (in = dp_ring_peek(&l->d->input)) != NULL) {
		rx_input(l, in->port_id, &in->src, in->data, in->len, NULL);
		dp_ring_pop(&l->d->input);
		n++;
	}
	return n;
}

static unsigned drain_handoff(struct dpdk_lcore *l)
{
	struct rte_mbuf *pkts[DPDK_BURST], *frames[DPDK_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(l->handoff, (void **)pkts, DPDK_BURST, NULL);
	unsigned nb_frames = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pkts[i]->port == PORT_HANDED_INPUT) {
			struct in_hdr *h = rte_pktmbuf_mtod(pkts[i], struct in_hdr *);
			struct ponte_addr src = h->src;

			rx_input(l, h->port_id, &src,
				 rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 64), h->len, pkts[i]);
		} else {
			frames[nb_frames++] = pkts[i];
		}
	}
	if (nb_frames > 0)
		rx_frames(l, -1, frames, nb_frames);
	return n;
}

/* What the kernel sends on NIC k's exception port: out through NIC k (tagged, on a VLAN), and
 * its next hops learned for that NIC. */
static unsigned from_kernel(struct dpdk_lcore *l, unsigned k)
{
	struct rte_mbuf *pkts[DPDK_BURST];
	uint16_t n = rte_eth_rx_burst(l->d->exc[k].port_id, (uint16_t)l->idx, pkts, DPDK_BURST);

	for (uint16_t i = 0; i < n; i++) {
		struct ponte_addr dst;
		struct rte_ether_addr mac;

		if (dpdk_parse_egress(pkts[i], &dst, &mac))
			dpdk_neigh_learn(l, k, &dst, &mac);
		LSTAT_ADD(l, from_kernel, 1);
		if (dpdk_vlan_tag(pkts[i], &l->d->nic[k].tx_off) != 0) {
			LSTAT_ADD(l, drops[PONTE_DP_DROP_NO_MBUF], 1);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		nic_queue(l, k, pkts[i]);
	}
	return n;
}

/* ---- commands ---- */

static void give_back(struct dpdk_lcore *l, uint32_t type, void *ptr)
{
	struct dpdk_garbage *g;

	/* Sized for every command's worth of objects: the control thread collects while it
	 * waits for command room, so this cannot stay full. */
	while ((g = dp_ring_reserve(&l->garbage, NULL)) == NULL)
		rte_pause();
	g->type = type;
	g->ptr = ptr;
	dp_ring_push(&l->garbage);
}

static void forget(struct dpdk_lcore *l, struct fslot *s)
{
	if (dp_htab_remove(&l->by_id, id_hash(s->id), s))
		l->nb_owned--;
}

static void apply(struct dpdk_lcore *l, struct dpdk_cmd *c)
{
	struct dpdk_txbuf *b = c->ptr;

	/* The pipeline's cached pipe_flow_by_id() answers go stale (struct dp_pipe.epoch). */
	l->flows_epoch++;

	switch (c->type) {
	case DCMD_FLOW_SET: {
		struct dp_flow *nf = c->ptr;
		struct fslot *from = c->old_slot != NULL ? c->old_slot : c->slot;
		struct dp_flow *old = from->cur;

		if (old != NULL) {
			/* Counters, the latched source, RTCP state and each kept output's stream
			 * go on across a modify (pipeline.h). */
			dp_flow_carry_over(nf, old);
			give_back(l, DG_FLOW, old);
		}
		if (c->old_slot != NULL) {
			c->old_slot->cur = NULL;
			forget(l, c->old_slot);
			give_back(l, DG_SLOT, c->old_slot);
		}
		c->slot->cur = nf;
		if (dp_htab_find(&l->by_id, id_hash(c->slot->id), id_eq, &c->slot->id) == NULL &&
		    dp_htab_insert(&l->by_id, id_hash(c->slot->id), c->slot) == 0)
			l->nb_owned++;
		break;
	}
	case DCMD_FLOW_DEL:
		if (c->slot->cur != NULL)
			give_back(l, DG_FLOW, c->slot->cur);
		c->slot->cur = NULL;
		forget(l, c->slot);
		give_back(l, DG_SLOT, c->slot);
		break;
	case DCMD_SEND: {
		const struct dport *p = dpdk_port(l->d, b->port_id);

		if (p != NULL) {
			struct rte_mbuf *m =
			    p->kind == DPORT_NIC ? rte_pktmbuf_alloc(l->pool) : NULL;

			if (m != NULL)
				memcpy(rte_pktmbuf_mtod(m, uint8_t *), b->data, b->len);
			send_from(l, p, &b->dst, b->data, b->len, m, NULL);
		}
		give_back(l, DG_BUF, b);
		break;
	}
	case DCMD_INJECT:
		if (c->slot->cur != NULL)
			dp_pipe_inject(&l->pipe, c->slot->cur, c->output, b->data, b->len);
		give_back(l, DG_BUF, b);
		break;
	case DCMD_MOVE: {
		/* The group goes to mv->to (steer.c): done with its entries, publish the new
		 * owner, then pass them on; frames that come here meanwhile follow them. */
		struct dpdk_move *mv = c->ptr;
		struct dpdk_lcore *to = l->d->lcores[mv->to];

		for (unsigned i = 0; i < mv->nb; i++) {
			forget(l, mv->slots[i]);
			atomic_store_explicit(&mv->slots[i]->is_in_transit, true,
					      memory_order_relaxed);
			__atomic_store_n(&mv->slots[i]->owner, mv->to, __ATOMIC_RELEASE);
		}
		/* One move at a time (the control thread waits for each): there is room. */
		rte_ring_sp_enqueue(to->adopt, mv);
		dpdk_lcore_wake(to);
		break;
	}
	default:
		break;
	}
}

static unsigned drain_commands(struct dpdk_lcore *l)
{
	struct dpdk_cmd *c;
	uint64_t last = 0;
	unsigned n = 0;

	while ((c = dp_ring_peek(&l->cmds)) != NULL) {
		apply(l, c);
		last = c->seq;
		dp_ring_pop(&l->cmds);
		n++;
	}
	if (last != 0) {
		atomic_store_explicit(&l->done_seq, last, memory_order_release);
		__atomic_store_n(&l->st.nb_flows, l->nb_owned, __ATOMIC_RELAXED);
	}
	return n;
}

void dpdk_lcore_drain_stopped(struct dpdk_lcore *l)
{
	struct dpdk_cmd *c;

	while ((c = dp_ring_peek(&l->cmds)) != NULL) {
		if (c->type == DCMD_SEND || c->type == DCMD_INJECT)
			give_back(l, DG_BUF, c->ptr);
		else
			apply(l, c);
		dp_ring_pop(&l->cmds);
	}
}

/* ---- the loop ---- */

/* The NICs' queues of lcore l, and its exception ports' queues: interrupts on or off. */
static void intr_set(struct dpdk_lcore *l, bool is_on)
{
	struct dpdk_dp *d = l->d;

	/* Only some PMDs need arming (-ENOTSUP from the others, net_tap's fd is always armed). */
	for (unsigned k = 0; k < d->nb_nics; k++) {
		const struct dpdk_eth *e = &d->nic[k];

		/* A device's other VLANs: its queues are its first entry's. */
		for (uint16_t q = (uint16_t)l->idx; d->eth_of[k] == k && q < e->nb_rxq;
		     q = (uint16_t)(q + d->nb_lcores))
			(void)(is_on ? rte_eth_dev_rx_intr_enable(e->port_id, q)
				     : rte_eth_dev_rx_intr_disable(e->port_id, q));
		(void)(is_on ? rte_eth_dev_rx_intr_enable(d->exc[k].port_id, (uint16_t)l->idx)
			     : rte_eth_dev_rx_intr_disable(d->exc[k].port_id, (uint16_t)l->idx));
	}
}

/* This thread's epoll set (RTE_EPOLL_PER_THREAD): its receive queues' interrupts and its
 * wake-up eventfd. On the lcore's own thread; false if any part failed (it then sleeps). */
static bool intr_register(struct dpdk_lcore *l, int op)
{
	struct dpdk_dp *d = l->d;
	int rc = 0;

	for (unsigned k = 0; rc == 0 && k < d->nb_nics; k++) {
		for (uint16_t q = (uint16_t)l->idx;
		     rc == 0 && d->eth_of[k] == k && q < d->nic[k].nb_rxq;
		     q = (uint16_t)(q + d->nb_lcores))
			rc = rte_eth_dev_rx_intr_ctl_q(d->nic[k].port_id, q, RTE_EPOLL_PER_THREAD,
						       op, NULL);
		if (rc == 0)
			rc = rte_eth_dev_rx_intr_ctl_q(d->exc[k].port_id, (uint16_t)l->idx,
						       RTE_EPOLL_PER_THREAD, op, NULL);
	}
	if (rc == 0) {
		l->wake_ev.epdata.event = EPOLLIN | EPOLLET;
		rc = rte_epoll_ctl(RTE_EPOLL_PER_THREAD,
				   op == RTE_INTR_EVENT_ADD ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
				   l->wake_efd, &l->wake_ev);
	}
	if (rc != 0 && op == RTE_INTR_EVENT_ADD)
		dpdk_log(d, DPDK_LOG_WARN,
			 "dpdk.idle: lcore %u cannot wait for receive interrupts (%s): it sleeps "
			 "as with dpdk.idle: sleep",
			 l->lcore_id, strerror(rc < 0 ? -rc : rc));
	return rc == 0;
}

/* dpdk.idle: interrupt. Announce the sleep, look at every ring once more (whoever queued
 * something before the announcement is seen here; whoever queues after it sees the
 * announcement and writes wake_efd), then wait for a frame, a wake-up or the timeout. */
static void idle_interrupt(struct dpdk_lcore *l)
{
	struct dpdk_dp *d = l->d;
	struct rte_epoll_event ev[8];
	uint64_t v;

	atomic_store_explicit(&l->is_asleep, true, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (dp_ring_idle_check(&l->cmds) || rte_ring_count(l->handoff) != 0 ||
	    rte_ring_count(l->adopt) != 0 || (l->idx == 0 && dp_ring_idle_check(&d->input))) {
		atomic_store_explicit(&l->is_asleep, false, memory_order_relaxed);
		return;
	}
	intr_set(l, true);
	rte_rcu_qsbr_thread_offline(d->qsbr, l->idx);
	rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), INTR_WAIT_MS);
	rte_rcu_qsbr_thread_online(d->qsbr, l->idx);
	atomic_store_explicit(&l->is_asleep, false, memory_order_relaxed);
	intr_set(l, false);
	(void)!read(l->wake_efd, &v, sizeof(v));
	LSTAT_ADD(l, idle_sleeps, 1);
}

/* Nothing came for a while: give the CPU back, offline for RCU so that the control thread's
 * grace periods do not wait for this sleep. */
static void idle(struct dpdk_lcore *l)
{
	struct dpdk_dp *d = l->d;

	if (d->is_idle_poll || ++l->nb_empty < IDLE_ROUNDS) {
		rte_pause();
		return;
	}
	if (l->has_intr) {
		idle_interrupt(l);
		return;
	}
	rte_rcu_qsbr_thread_offline(d->qsbr, l->idx);
	rte_delay_us_sleep(l->sleep_us);
	rte_rcu_qsbr_thread_online(d->qsbr, l->idx);
	LSTAT_ADD(l, idle_sleeps, 1);
	l->sleep_us = l->sleep_us * 2 > d->idle_sleep_us ? d->idle_sleep_us : l->sleep_us * 2;
}

int dpdk_lcore_main(void *arg)
{
	struct dpdk_lcore *l = arg;
	struct dpdk_dp *d = l->d;
	struct rte_mbuf *pkts[DPDK_BURST];

	rte_rcu_qsbr_thread_register(d->qsbr, l->idx);
	rte_rcu_qsbr_thread_online(d->qsbr, l->idx);
	l->sleep_us = SLEEP_MIN_US;
	l->has_intr =
	    d->is_idle_interrupt && l->wake_efd >= 0 && intr_register(l, RTE_INTR_EVENT_ADD);
	while (!atomic_load_explicit(&l->is_stopping, memory_order_acquire)) {
		unsigned work;

		rte_rcu_qsbr_quiescent(d->qsbr, l->idx);
		l->now_ns = mono_ns();
		/* Commands first: a packet that arrives after a flow change meets the change. */
		work = drain_commands(l);
		work += drain_adopt(l);
		/* A queue of every NIC (each device once: its first entry's, the others are
		 * its VLANs), then of every exception port. */
		for (unsigned k = 0; k < d->nb_nics; k++) {
			if (d->eth_of[k] != k)
				continue;
			for (uint16_t q = (uint16_t)l->idx; q < d->nic[k].nb_rxq;
			     q = (uint16_t)(q + d->nb_lcores)) {
				uint16_t n =
				    rte_eth_rx_burst(d->nic[k].port_id, q, pkts, DPDK_BURST);

				if (n > 0)
					rx_frames(l, (int)k, pkts, n);
				work += n;
			}
		}
		work += drain_handoff(l);
		for (unsigned k = 0; k < d->nb_nics; k++)
			work += from_kernel(l, k);
		if (l->idx == 0) {
			work += drain_input(l);
			dpdk_neigh_drain(l);
		}
		flush_all(l);
		if (work > 0) {
			l->nb_empty = 0;
			l->sleep_us = SLEEP_MIN_US;
		} else {
			idle(l);
		}
	}
	flush_all(l);
	if (l->has_intr)
		intr_register(l, RTE_INTR_EVENT_DEL);
	rte_rcu_qsbr_thread_offline(d->qsbr, l->idx);
	rte_rcu_qsbr_thread_unregister(d->qsbr, l->idx);
	return 0;
}

int dpdk_lcore_create(struct dpdk_dp *d, unsigned idx, unsigned lcore_id, struct dpdk_lcore **out)
{
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct dpdk_lcore *l =
	    rte_zmalloc_socket("ponte_lcore", sizeof(*l), RTE_CACHE_LINE_SIZE, socket);
	char name[RTE_RING_NAMESIZE];

	if (l == NULL)
		return -ENOMEM;
	l->d = d;
	l->idx = idx;
	l->lcore_id = lcore_id;
	l->flows_epoch = 1; /* an entry's cache starts at 0: empty */
	l->st.lcore_id = lcore_id;
	l->pool = d->pools[d->nic[0].socket];
	l->scratch = malloc(DP_PIPE_BUF);
	snprintf(name, sizeof(name), "ponte_handoff_%u", idx);
	l->handoff = rte_ring_create(name, DPDK_HANDOFF_RING, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ponte_adopt_%u", idx);
	l->adopt = rte_ring_create(name, 16, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	l->wake_efd = d->is_idle_interrupt ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
	l->pipe = (struct dp_pipe){
	    .srtp = d->srtp,
	    .be = l,
	    .tx_buf = pipe_tx_buf,
	    .tx = pipe_tx,
	    .flow_by_id = pipe_flow_by_id,
	    .epoch = &l->flows_epoch,
	    .mirror = pipe_mirror,
	    .prefetch_port = pipe_prefetch_port,
	    .tx_bufs = pipe_tx_bufs,
	    .tx_buf_send = pipe_tx_buf_send,
	    .tx_own = pipe_tx_own,
	    .begin = pipe_begin,
	    .end = pipe_end,
	};
	if (l->scratch == NULL || l->handoff == NULL || l->adopt == NULL || l->pool == NULL ||
	    (d->is_idle_interrupt && l->wake_efd < 0) ||
	    dp_ring_init(&l->cmds, DPDK_CMD_RING, sizeof(struct dpdk_cmd)) != 0 ||
	    dp_ring_init(&l->garbage, DPDK_GARBAGE_RING + d->max_flows,
			 sizeof(struct dpdk_garbage)) != 0 ||
	    dp_ring_init(&l->punts, DPDK_PUNT_RING, sizeof(struct ponte_dp_punt)) != 0 ||
	    dp_htab_init(&l->by_id, d->max_flows) != 0) {
		dpdk_lcore_free(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

void dpdk_lcore_free(struct dpdk_lcore *l)
{
	if (l == NULL)
		return;
	rte_pktmbuf_free(l->pending);
	for (unsigned k = 0; k < DP_PIPE_BURST_OUT; k++)
		rte_pktmbuf_free(l->batch_m[k]);
	rte_ring_free(l->handoff);
	rte_ring_free(l->adopt);
	if (l->wake_efd >= 0)
		close(l->wake_efd);
	free(l->scratch);
	dp_ring_fini(&l->cmds);
	dp_ring_fini(&l->garbage);
	dp_ring_fini(&l->punts);
	dp_htab_fini(&l->by_id);
	rte_free(l);
}
