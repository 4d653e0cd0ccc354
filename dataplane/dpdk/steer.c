/* SPDX-License-Identifier: MIT */
/*
 * Keeping a flow's frames on the lcore that owns it (docs/dpdk.md, "Threads and ownership").
 * With several lcores the NIC spreads frames over their receive queues by 5-tuple (RSS, or
 * net_af_packet's fanout), and a frame that lands on another lcore than its flow's owner is
 * handed over through the owner's ring: correct, and costly when it happens to every packet
 * of a flow. Two ways to avoid it, both run by the control thread alone:
 *
 * - Steering rules. Where the NIC takes rte_flow rules with a QUEUE action (checked once per
 *   port at start: rte_flow_validate() and one probe rule created and destroyed, since some
 *   PMDs validate what they then fail to create, net_tap on a kernel without tc flower), each
 *   flow gets a rule sending its 5-tuple (the local address and port, and the remote when the
 *   flow has one) to its owner's receive queue; the rule goes with the flow. A rule that
 *   fails leaves that flow to hand-over, counted. net_af_packet, net_af_xdp, net_memif and
 *   the ring PMDs take no rules.
 *
 * - Moving a group. Flows whose state the pipeline shares (rtp_flow, dst_latch_flow) form a
 *   group with one owner. Each lcore counts the frames it receives per flow; when one of them
 *   hands frames over (every REBALANCE_EVERY), it asks the control thread for a look. If the
 *   owner received none of a group's frames since the last look while exactly one other lcore
 *   received them all, the group moves there: the control thread sends the old owner a
 *   DCMD_MOVE and waits; the old owner stops using the entries, passes them to the new owner
 *   through its adopt ring and then publishes the new owner in each slot; the new owner adopts
 *   them before it touches any (lcore.c). At every instant one lcore alone may touch an entry's
 *   SRTP contexts: the old owner publishes the change only after its last use, and the new
 *   owner reads the slot's owner with acquire before its first. Frames in flight meanwhile are
 *   handed over once more (a second hop); none is lost, a few may be reordered, which SRTP's
 *   replay window and RTP's sequence numbers absorb. A group whose frames land on two lcores
 *   (a bridged call's browser leg on one queue, its phone leg on another) cannot be helped
 *   this way: only steering rules can.
 */
#include "dpdk.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_flow.h>
#include <rte_hash.h>

/* A look at most this often: it walks every flow. */
#define REBALANCE_PERIOD_NS (200ull * 1000 * 1000)
/* Frames of a group that another lcore must have received, and its owner none, to move it. */
#define MOVE_MIN_FRAMES 16
/* Groups considered in one look. */
#define MAX_CANDIDATES 64

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- rte_flow rules ---- */

/* The pattern and action of a rule for key k to queue q; false when k cannot have one (a
 * port of no NIC address, a remote of the other family). */
struct rule {
	struct rte_flow_attr attr;
	struct rte_flow_item items[4];
	struct rte_flow_item_ipv4 ip4, ip4_mask;
	struct rte_flow_item_ipv6 ip6, ip6_mask;
	struct rte_flow_item_udp udp, udp_mask;
	struct rte_flow_action_queue queue;
	struct rte_flow_action actions[2];
};

static bool rule_make(struct rule *r, const struct fkey *k, uint16_t queue)
{
	bool has_remote = k->is_any == 0;

	if ((k->family != AF_INET && k->family != AF_INET6) || k->is_any == 2)
		return false;
	memset(r, 0, sizeof(*r));
	r->attr.ingress = 1;
	/* An exact flow wins over the port-wide one of its port (another owner, maybe). */
	r->attr.priority = has_remote ? 0 : 1;
	r->items[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	if (k->family == AF_INET) {
		memcpy(&r->ip4.hdr.dst_addr, k->lip, 4);
		r->ip4_mask.hdr.dst_addr = UINT32_MAX;
		if (has_remote) {
			memcpy(&r->ip4.hdr.src_addr, k->rip, 4);
			r->ip4_mask.hdr.src_addr = UINT32_MAX;
		}
		r->items[1] = (struct rte_flow_item){
		    .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &r->ip4, .mask = &r->ip4_mask};
	} else {
		memcpy(r->ip6.hdr.dst_addr, k->lip, 16);
		memset(r->ip6_mask.hdr.dst_addr, 0xff, 16);
		if (has_remote) {
			memcpy(r->ip6.hdr.src_addr, k->rip, 16);
			memset(r->ip6_mask.hdr.src_addr, 0xff, 16);
		}
		r->items[1] = (struct rte_flow_item){
		    .type = RTE_FLOW_ITEM_TYPE_IPV6, .spec = &r->ip6, .mask = &r->ip6_mask};
	}
	r->udp.hdr.dst_port = htons(k->lport);
	r->udp_mask.hdr.dst_port = UINT16_MAX;
	if (has_remote) {
		r->udp.hdr.src_port = htons(k->rport);
		r->udp_mask.hdr.src_port = UINT16_MAX;
	}
	r->items[2] = (struct rte_flow_item){
	    .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &r->udp, .mask = &r->udp_mask};
	r->items[3].type = RTE_FLOW_ITEM_TYPE_END;
	r->queue.index = queue;
	r->actions[0] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_QUEUE,
						 .conf = &r->queue};
	r->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	return true;
}

/* Whether NIC k takes rules; logged either way. */
static bool probe_nic(struct dpdk_dp *d, unsigned k)
{
	struct rte_flow_error err;
	struct rte_flow *f = NULL;
	struct rule r;
	/* A flow nobody has: 192.0.2.1:9 (RFC 5737, discard) from 192.0.2.2:9. */
	struct fkey key = {.family = AF_INET, .lport = 9, .rport = 9, .lip = {192, 0, 2, 1},
			   .rip = {192, 0, 2, 2}};
	int rc;

	if (!d->nic[k].is_open || d->nic[k].nb_rxq < 2)
		return false;
	rule_make(&r, &key, (uint16_t)(d->nb_lcores - 1));
	memset(&err, 0, sizeof(err));
	rc = rte_flow_validate(d->nic[k].port_id, &r.attr, r.items, r.actions, &err);
	if (rc == 0)
		f = rte_flow_create(d->nic[k].port_id, &r.attr, r.items, r.actions, &err);
	if (f == NULL) {
		dpdk_log(d, DPDK_LOG_INFO,
			 "dpdk.ports[%u]: %s takes no rte_flow rule to a queue (%s): a frame that "
			 "lands on another lcore than its flow's owner is handed over to it",
			 k, d->nic[k].name, err.message != NULL ? err.message : "not supported");
		return false;
	}
	rte_flow_destroy(d->nic[k].port_id, f, &err);
	dpdk_log(d, DPDK_LOG_INFO,
		 "dpdk.ports[%u]: %s takes rte_flow rules: each flow's frames are steered to "
		 "its owner's queue",
		 k, d->nic[k].name);
	return true;
}

void dpdk_steer_probe(struct dpdk_dp *d)
{
	for (unsigned k = 0; k < d->nb_nics; k++)
		d->nic[k].has_flow_steer = d->nb_lcores >= 2 && probe_nic(d, k);
}

/* The NIC whose frames carry key k (that of its port's local address), -1: none (a port
 * with no NIC address, such as a TURN-relayed ICE pair's). */
static int nic_of(const struct dpdk_dp *d, const struct fkey *k)
{
	struct ponte_addr local = {.family = k->family, .port = k->lport};
	struct pkey pk;
	void *data = NULL;

	if (k->family != AF_INET && k->family != AF_INET6)
		return -1;
	memcpy(local.ip, k->lip, k->family == AF_INET ? 4 : 16);
	dpdk_pkey_make(&pk, &local);
	if (rte_hash_lookup_data(d->local, &pk, &data) < 0 || data == NULL)
		return -1;
	return ((const struct dport *)data)->nic;
}

void dpdk_steer_add(struct dpdk_dp *d, struct fslot *s)
{
	struct rte_flow_error err;
	struct rule r;
	int k = nic_of(d, &s->key);

	if (k < 0 || !d->nic[k].has_flow_steer || s->rule != NULL ||
	    !rule_make(&r, &s->key, __atomic_load_n(&s->owner, __ATOMIC_RELAXED)))
		return;
	memset(&err, 0, sizeof(err));
	s->rule = rte_flow_create(d->nic[k].port_id, &r.attr, r.items, r.actions, &err);
	if (s->rule == NULL) {
		/* The NIC's rule table is full, or this pattern is one it cannot take: this
		 * flow's frames are handed over where they land. */
		if (d->nb_steer_failed++ == 0)
			dpdk_log(d, DPDK_LOG_WARN,
				 "dpdk.ports[%d]: %s refused a steering rule (%s); counted in "
				 "steer_failed, the flow's frames are handed over",
				 k, d->nic[k].name, err.message != NULL ? err.message : "no reason");
		return;
	}
	s->rule_nic = (uint8_t)k;
	d->nb_steer_rules++;
}

void dpdk_steer_del(struct dpdk_dp *d, struct fslot *s)
{
	struct rte_flow_error err;

	if (s->rule == NULL)
		return;
	/* Gone either way: a rule the NIC cannot destroy goes with the port at stop. */
	rte_flow_destroy(d->nic[s->rule_nic].port_id, s->rule, &err);
	d->nb_steer_rules--;
	s->rule = NULL;
}

/* ---- moving groups ---- */

struct candidate {
	uint64_t gid;
	uint16_t owner;
	uint32_t frames[DPDK_MAX_LCORES]; /* received by each lcore since the last look */
};

static struct candidate *candidate_of(struct candidate *c, unsigned *nb, uint64_t gid,
				      uint16_t owner)
{
	for (unsigned i = 0; i < *nb; i++)
		if (c[i].gid == gid && c[i].owner == owner)
			return &c[i];
	if (*nb == MAX_CANDIDATES)
		return NULL;
	memset(&c[*nb], 0, sizeof(c[*nb]));
	c[*nb].gid = gid;
	c[*nb].owner = owner;
	return &c[(*nb)++];
}

/* Move the flows of group gid owned by lcore from to lcore to; 0 or a negative errno. */
static int move_group(struct dpdk_dp *d, uint64_t gid, uint16_t from, uint16_t to)
{
	struct dpdk_move *mv;
	unsigned nb = 0, waited = 0;

	for (uint32_t i = 0; i <= d->c_by_id.mask; i++) {
		const struct fslot *s = d->c_by_id.items[i];

		nb += s != NULL && s->gid == gid && s->owner == from;
	}
	if (nb == 0)
		return -ENOENT;
	mv = calloc(1, sizeof(*mv) + nb * sizeof(mv->slots[0]));
	if (mv == NULL)
		return -ENOMEM;
	mv->to = to;
	atomic_init(&mv->is_done, false);
	for (uint32_t i = 0; i <= d->c_by_id.mask; i++) {
		struct fslot *s = d->c_by_id.items[i];

		if (s != NULL && s->gid == gid && s->owner == from)
			mv->slots[mv->nb++] = s;
	}
	dpdk_cmd_send(d, d->lcores[from], DCMD_MOVE, NULL, NULL, 0, mv);
	/* Synchronous, so that every later command for these flows goes to the new owner and
	 * finds them adopted. Both lcores are awake (one just received the group's frames, the
	 * other is woken by the command): this takes microseconds. */
	while (!atomic_load_explicit(&mv->is_done, memory_order_acquire)) {
		struct timespec ts = {0, 20000};

		dpdk_collect_garbage(d);
		nanosleep(&ts, NULL);
		if (++waited > 100000) { /* 2 s: an lcore is stuck; mv stays theirs */
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk: moving flow group %llu from lcore %u to %u timed out",
				 (unsigned long long)gid, d->lcore_ids[from], d->lcore_ids[to]);
			return -ETIMEDOUT;
		}
	}
	/* Flows of the group not added yet follow it. */
	for (uint32_t i = 0; d->pending_refs.items != NULL && i <= d->pending_refs.mask; i++) {
		struct pending_ref *r = d->pending_refs.items[i];

		if (r != NULL && r->gid == gid && r->owner == from)
			r->owner = to;
	}
	for (unsigned i = 0; i < mv->nb; i++) {
		if (mv->slots[i]->rule != NULL) {
			dpdk_steer_del(d, mv->slots[i]);
			dpdk_steer_add(d, mv->slots[i]);
		}
	}
	d->nb_moves++;
	dpdk_log(d, DPDK_LOG_INFO,
		 "dpdk: flow group %llu (%u flows) moved from lcore %u to lcore %u, where its "
		 "frames arrive",
		 (unsigned long long)gid, mv->nb, d->lcore_ids[from], d->lcore_ids[to]);
	free(mv);
	return 0;
}

void dpdk_steer_rebalance(struct dpdk_dp *d)
{
	struct candidate *c;
	unsigned nb = 0;
	uint64_t now = mono_ns();

	if (!atomic_load_explicit(&d->want_rebalance, memory_order_relaxed) ||
	    now - d->last_rebalance_ns < REBALANCE_PERIOD_NS)
		return;
	atomic_store_explicit(&d->want_rebalance, false, memory_order_relaxed);
	d->last_rebalance_ns = now;
	c = malloc(MAX_CANDIDATES * sizeof(*c));
	if (c == NULL)
		return;
	/* What each lcore received of each group since the last look. */
	for (uint32_t i = 0; i <= d->c_by_id.mask; i++) {
		struct fslot *s = d->c_by_id.items[i];
		struct candidate *g = NULL;

		if (s == NULL)
			continue;
		for (unsigned l = 0; l < d->nb_lcores; l++) {
			uint32_t n = __atomic_load_n(&s->rx_on[l], __ATOMIC_RELAXED);
			uint32_t delta = n - s->rx_seen[l];

			s->rx_seen[l] = n;
			if (delta == 0)
				continue;
			if (g == NULL && (g = candidate_of(c, &nb, s->gid, s->owner)) == NULL)
				break;
			g->frames[l] += delta;
		}
	}
	for (unsigned i = 0; i < nb; i++) {
		unsigned to = d->nb_lcores, nb_on = 0;

		if (c[i].frames[c[i].owner] != 0)
			continue;
		for (unsigned l = 0; l < d->nb_lcores; l++)
			if (c[i].frames[l] != 0) {
				to = l;
				nb_on++;
			}
		if (nb_on == 1 && c[i].frames[to] >= MOVE_MIN_FRAMES)
			move_group(d, c[i].gid, c[i].owner, (uint16_t)to);
	}
	free(c);
}
