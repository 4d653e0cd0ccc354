/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's operations: what the control thread does for the functions of
 * include/ponte/dataplane.h. The shape is the socket backend's (sock.c): entries are built
 * here with dp_flow_build(), sent to the lcore that owns the flow through its command ring,
 * and come back through its garbage ring to be wiped and freed here. What differs: the tables
 * the lcores look frames up in are shared rte_hash tables published from here (ftable.c), and
 * there are several packet threads.
 *
 * Ports. ponte_dp_port_attach() takes a socket the control plane reads (an ICE socket): when
 * its address is one of the exception interface's, the fast path receives its media from the
 * NIC before the kernel could, and sends from that address itself; anything else for it (STUN,
 * DTLS, media of no flow) reaches the socket through the kernel. A socket bound elsewhere
 * (127.0.0.1) is sent from as the socket backend does, and its media comes in through
 * ponte_dp_input(). ponte_dp_port_open() makes a port the fast path owns (the SIP side's RTP):
 * it must be on the exception interface; what no flow takes is punted. In the owned range
 * (owned.c) its number is a bit of its address's bitmap and nothing else; outside it, a socket
 * is bound there all the same, never read, so that the kernel hands that port number to nobody
 * else.
 */
#include "dpdk.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <ponte/demux.h>

#include "../rtp.h"
#include "../sockaddr.h"
#include "../srtp.h"

/* One DPDK dataplane per process: the EAL, the log stream and the table names are global. */
static bool is_taken;

static struct dpdk_dp *to_dpdk(struct ponte_dp *dp)
{
	return (struct dpdk_dp *)dp;
}

static uint64_t id_hash(uint64_t id)
{
	return dp_hash_bytes(&id, sizeof(id), 0);
}

static bool slot_id_eq(const void *item, const void *key)
{
	return ((const struct fslot *)item)->id == *(const uint64_t *)key;
}

static bool slot_key_eq(const void *item, const void *key)
{
	return memcmp(&((const struct fslot *)item)->key, key, sizeof(struct fkey)) == 0;
}

static bool ref_eq(const void *item, const void *key)
{
	return ((const struct pending_ref *)item)->id == *(const uint64_t *)key;
}

static uint64_t fkey_hash(const struct fkey *k)
{
	return dp_hash_bytes(k, sizeof(*k), 0x9e3779b97f4a7c15ull);
}

static struct fslot *slot_by_id(const struct dpdk_dp *d, uint64_t id)
{
	return dp_htab_find(&d->c_by_id, id_hash(id), slot_id_eq, &id);
}

static struct fslot *slot_by_key(const struct dpdk_dp *d, const struct fkey *k)
{
	return dp_htab_find(&d->c_by_key, fkey_hash(k), slot_key_eq, k);
}

/* ---- exact flows per local address (struct fslot.has_exact) ----
 *
 * The lcores look up a frame's port-wide key first when most of their media are port-wide
 * flows', and its exact key only when that flow is marked as having exact flows with the same
 * local address (or when there is no port-wide flow): one lookup per packet for a bridged
 * call. The mark may lag the table by a burst either way: a frame then meets the flows of a
 * moment before, never a flow of another key. */

struct exact_count {
	struct fkey any; /* the port-wide key of their local address */
	uint32_t nb;
};

static bool exact_eq(const void *item, const void *key)
{
	return memcmp(&((const struct exact_count *)item)->any, key, sizeof(struct fkey)) == 0;
}

/* The key of a flow a frame can match by its remote (not port-wide, not of a DPORT_FN port,
 * not of a remote in the other family than the port's). */
static bool is_exact_key(const struct fkey *k)
{
	return k->is_any == 0 && k->family != FKEY_FAMILY_PORT_ID;
}

static void any_key(const struct fkey *k, struct fkey *any)
{
	*any = *k;
	any->is_any = 1;
	any->rport = 0;
	memset(any->rip, 0, sizeof(any->rip));
}

/* Count an exact flow of key k in (delta 1, before it goes into the flow table) or out (-1,
 * once it is out), and mark or unmark the port-wide flow of its local address. -ENOMEM when
 * it cannot be counted (the flow must not go in then). Nothing for other keys. */
static int exact_note(struct dpdk_dp *d, const struct fkey *k, int delta)
{
	struct exact_count *c;
	struct fslot *ps;
	struct fkey any;
	uint64_t h;

	if (!is_exact_key(k))
		return 0;
	any_key(k, &any);
	h = fkey_hash(&any);
	c = dp_htab_find(&d->c_exact, h, exact_eq, &any);
	if (c == NULL) {
		if (delta < 0)
			return 0;
		c = calloc(1, sizeof(*c));
		if (c == NULL || dp_htab_insert(&d->c_exact, h, c) != 0) {
			free(c);
			return -ENOMEM;
		}
		c->any = any;
	}
	c->nb = (uint32_t)((int64_t)c->nb + delta);
	ps = slot_by_key(d, &any);
	if (ps != NULL)
		atomic_store_explicit(&ps->has_exact, c->nb > 0, memory_order_release);
	if (c->nb == 0) {
		dp_htab_remove(&d->c_exact, h, c);
		free(c);
	}
	return 0;
}

/* A port-wide slot s about to go into the table: marked if its address has exact flows. */
static void exact_mark(struct dpdk_dp *d, struct fslot *s)
{
	if (s->key.is_any == 1)
		atomic_store_explicit(&s->has_exact,
				      dp_htab_find(&d->c_exact, fkey_hash(&s->key), exact_eq,
						   &s->key) != NULL,
				      memory_order_relaxed);
}

/* A slot: one cache line for what every frame's lookup reads (owner, cur, id, rx_on). Taken
 * from the free ones first: slots are not given back to malloc while the dataplane lives, so
 * an lcore may still read one it remembers after it was retired (struct fslot.id). */
static struct fslot *slot_alloc(struct dpdk_dp *d)
{
	struct fslot *s = d->c_free_slots;

	if (s != NULL)
		d->c_free_slots = s->next_free;
	else
		s = aligned_alloc(RTE_CACHE_LINE_SIZE,
				  RTE_ALIGN_CEIL(sizeof(*s), RTE_CACHE_LINE_SIZE));
	if (s != NULL)
		memset(s, 0, sizeof(*s));
	return s;
}

void dpdk_slot_put(struct dpdk_dp *d, struct fslot *s)
{
	if (s == NULL)
		return;
	__atomic_store_n(&s->id, 0, __ATOMIC_RELAXED);
	explicit_bzero(s, sizeof(*s));
	s->next_free = d->c_free_slots;
	d->c_free_slots = s;
}

static struct dport *c_port(const struct dpdk_dp *d, uint32_t id)
{
	return id >= 1 && id <= d->max_ports ? d->c_ports[id] : NULL;
}

/* ---- the rings to and from the lcores ---- */

void dpdk_collect_garbage(struct dpdk_dp *d)
{
	for (unsigned i = 0; i < d->nb_lcores; i++) {
		struct dpdk_lcore *l = d->lcores[i];
		struct dpdk_garbage *g;

		if (l == NULL)
			continue;
		while ((g = dp_ring_peek(&l->garbage)) != NULL) {
			switch (g->type) {
			case DG_FLOW:
				dp_flow_free(d->srtp, g->ptr);
				break;
			case DG_SLOT:
				dpdk_ftable_slot_retire(d, g->ptr);
				break;
			default:
				explicit_bzero(g->ptr, sizeof(struct dpdk_txbuf));
				free(g->ptr);
				break;
			}
			dp_ring_pop(&l->garbage);
		}
	}
	dpdk_ftable_reclaim(d, false);
}

/* Queue a command for lcore l, waiting for room (it drains its ring every round). */
uint64_t dpdk_cmd_send(struct dpdk_dp *d, struct dpdk_lcore *l, uint32_t type, struct fslot *slot,
		       struct fslot *old_slot, uint32_t output, void *ptr)
{
	struct dpdk_cmd *c;

	while ((c = dp_ring_reserve(&l->cmds, NULL)) == NULL) {
		/* The lcore may itself wait for garbage room. */
		dpdk_collect_garbage(d);
		sched_yield();
	}
	*c = (struct dpdk_cmd){
	    .type = type,
	    .output = output,
	    .seq = ++l->next_seq,
	    .slot = slot,
	    .old_slot = old_slot,
	    .ptr = ptr,
	};
	dp_ring_push(&l->cmds);
	dpdk_lcore_wake(l);
	return l->next_seq;
}

/* ---- ports ---- */

/* nic: DPORT_NIC, the NIC whose exception interface holds local. */
static int add_port(struct dpdk_dp *d, enum dport_kind kind, unsigned nic, bool is_owned, int fd,
		    const struct ponte_addr *local, ponte_dp_tx_fn fn, void *ctx, uint32_t *port_id)
{
	struct dport *p;
	uint32_t id = 0;
	int rc;

	/* From after the last id given: a scan from 1 would make opening n ports quadratic.
	 * Wraps, so that ids freed behind it are found again when the ones ahead are taken. */
	for (uint32_t n = 0; n < d->max_ports && id == 0; n++) {
		uint32_t i = (d->port_next + n) % d->max_ports + 1;

		if (d->c_ports[i] == NULL)
			id = i;
	}
	if (id == 0)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->id = id;
	p->kind = (uint8_t)kind;
	p->nic = (uint8_t)nic;
	p->is_owned = is_owned;
	p->fd = fd;
	p->tx_fn = fn;
	p->tx_ctx = ctx;
	p->hpos = -1;
	atomic_init(&p->rx_lcore, DPORT_NONE_LCORE);
	if (local != NULL)
		p->local = *local;
	if (kind == DPORT_NIC) {
		struct dport *same = NULL;
		struct pkey k;

		/* The port the table holds for this address, if any: every other open one with
		 * the address is on its list (dpdk_port_close() keeps it so). */
		dpdk_pkey_make(&k, &p->local);
		if (rte_hash_lookup_data(d->local, &k, (void **)&same) < 0)
			same = NULL;
		rc = dpdk_ftable_port_set(d, p);
		if (rc != 0) {
			free(p);
			return rc;
		}
		if (same != NULL) {
			p->c_next = same;
			p->c_prev = same->c_prev;
			if (same->c_prev != NULL)
				same->c_prev->c_next = p;
			same->c_prev = p;
		}
	}
	d->c_ports[id] = p;
	d->nb_c_ports++;
	d->port_next = id;
	atomic_store_explicit(&d->ports[id], p, memory_order_release);
	*port_id = id;
	return 0;
}

static int dpdk_port_attach(struct ponte_dp *dp, int fd, uint32_t *port_id)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ponte_addr local;
	int dup_fd, rc;

	dpdk_collect_garbage(d);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -errno;
	dp_sockaddr_to_addr(&ss, &local);
	if (local.family == 0)
		return -EAFNOSUPPORT;
	rc = dpdk_exception_nic(d, &local);
	if (rc < 0 && rc != -EADDRNOTAVAIL)
		return rc;
	if (rc >= 0 && dpdk_owned_has_range(&d->owned, local.port)) {
		char shown[64];

		/* Its number could be given to an owned port too: the range is the fast path's
		 * alone (the configuration keeps webrtc.port_min..max out of it). */
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk: a socket on %s: that port is in the range the fast path owns "
			 "(dpdk.owned_ports %u-%u); ICE sockets must stay outside it",
			 ponte_addr_str(&local, shown, sizeof(shown)), d->owned.min,
			 d->owned.min + d->owned.nb - 1);
		return -EADDRINUSE;
	}
	if (rc >= 0)
		return add_port(d, DPORT_NIC, (unsigned)rc, false, -1, &local, NULL, NULL, port_id);
	/* Not an address the NIC carries: the socket sends, as in the socket backend. */
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return -errno;
	rc = add_port(d, DPORT_KERNEL, 0, false, dup_fd, &local, NULL, NULL, port_id);
	if (rc != 0)
		close(dup_fd);
	return rc;
}

static int dpdk_port_attach_fn(struct ponte_dp *dp, ponte_dp_tx_fn fn, void *ctx, uint32_t *port_id)
{
	struct dpdk_dp *d = to_dpdk(dp);

	dpdk_collect_garbage(d);
	return add_port(d, DPORT_FN, 0, false, -1, NULL, fn, ctx, port_id);
}

static bool is_unspecified(const struct ponte_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->ip, zero, a->family == AF_INET ? 4 : 16) == 0;
}

/* Bind fd to local, or to a free port of [port_min, port_max] when local has none. */
static int dpdk_port_open(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
			  uint16_t port_max, uint32_t *port_id)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char shown[64];
	int fd, rc, nic, small = 4096;

	dpdk_collect_garbage(d);
	if (local->family != AF_INET && local->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (is_unspecified(local)) {
		uint16_t port = local->port;

		rc = dpdk_exception_addr(d, local->family, local);
		local->port = port;
		if (rc != 0)
			return rc;
	}
	nic = dpdk_exception_nic(d, local);
	if (nic == -EADDRNOTAVAIL) {
		char names[DPDK_MAX_NICS * 24] = "";
		size_t off = 0;

		for (unsigned k = 0; k < d->nb_nics && off < sizeof(names); k++)
			off += (size_t)snprintf(
			    names + off, sizeof(names) - off, "%s%s", k > 0 ? ", " : "",
			    d->tap_name[k][0] ? d->tap_name[k] : d->exc[k].name);
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk: a port on %s: the DPDK backend serves only the addresses "
			 "of its exception interfaces (%s; set sip.rtp_address to one)",
			 ponte_addr_str(local, shown, sizeof(shown)), names);
		return -EADDRNOTAVAIL;
	}
	if (nic < 0) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk: a port on %s: reading the exception interfaces' addresses: %s",
			 ponte_addr_str(local, shown, sizeof(shown)), strerror(-nic));
		return nic;
	}
	/* In the owned range: a number of the bitmap, and no socket (owned.c). */
	rc = dpdk_owned_take(d, local, port_min, port_max);
	if (rc <= 0) {
		if (rc == 0) {
			rc = add_port(d, DPORT_NIC, (unsigned)nic, true, -1, local, NULL, NULL,
				      port_id);
			if (rc != 0)
				dpdk_owned_put(d, local);
		}
		return rc;
	}
	/* Elsewhere, a socket reserves the port number in the kernel; never read: the NIC's
	 * frames for it never reach the kernel (only IP fragments would, and are lost there). */
	fd = socket(local->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	rc = dp_bind_in_range(fd, local, port_min, port_max);
	if (rc == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		rc = -errno;
	if (rc == 0) {
		dp_sockaddr_to_addr(&ss, local);
		rc = add_port(d, DPORT_NIC, (unsigned)nic, true, fd, local, NULL, NULL, port_id);
	}
	if (rc != 0)
		close(fd);
	return rc;
}

static int dpdk_port_close(struct ponte_dp *dp, uint32_t port_id)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct dport *p = c_port(d, port_id), *next;

	dpdk_collect_garbage(d);
	if (p == NULL)
		return -ENOENT;
	d->c_ports[port_id] = NULL;
	d->nb_c_ports--;
	atomic_store_explicit(&d->ports[port_id], NULL, memory_order_release);
	/* Another port on the same address (an ICE socket attached again under a new id) takes
	 * its place in the table: any of its list, found without a scan. */
	next = p->c_next != NULL ? p->c_next : p->c_prev;
	if (p->c_prev != NULL)
		p->c_prev->c_next = p->c_next;
	if (p->c_next != NULL)
		p->c_next->c_prev = p->c_prev;
	p->c_prev = p->c_next = NULL;
	/* Its number is free at once: frames still on their way to it are dropped, as for any
	 * port of the range that is not open, until a port opened on it takes them. */
	if (p->kind == DPORT_NIC && p->is_owned && p->fd < 0)
		dpdk_owned_put(d, &p->local);
	dpdk_ftable_port_del(d, p, next);
	return 0;
}

/* ---- flows ---- */

/* Every output names a port that exists. */
static int check_ports(const struct dpdk_dp *d, const struct ponte_flow_spec *spec)
{
	if (c_port(d, spec->port_id) == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < spec->nb_outputs && i < PONTE_FLOW_MAX_OUTPUTS; i++)
		if (c_port(d, spec->outputs[i].port_id) == NULL)
			return -ENOENT;
	return 0;
}

static void key_of(const struct dpdk_dp *d, const struct ponte_flow_spec *spec, struct fkey *k)
{
	dpdk_fkey_make(k, c_port(d, spec->port_id), spec->port_id, &spec->src,
		       spec->src.family == 0);
}

/* The lcore of flow id when it exists (and its group in *gid); -1 when nothing ties it. With
 * owner >= 0, a flow not added yet is bound to go to owner, in group *gid. */
static int owner_of_ref(struct dpdk_dp *d, uint64_t id, int owner, uint64_t *gid)
{
	const struct fslot *s = slot_by_id(d, id);
	struct pending_ref *r;

	if (s != NULL) {
		if (owner < 0)
			*gid = s->gid;
		return s->owner;
	}
	if (owner < 0)
		return -1;
	/* Not added yet: when it is, it goes where this flow goes. */
	r = dp_htab_find(&d->pending_refs, id_hash(id), ref_eq, &id);
	if (r == NULL && (r = malloc(sizeof(*r))) != NULL) {
		r->id = id;
		r->gid = *gid;
		r->owner = (uint16_t)owner;
		if (dp_htab_insert(&d->pending_refs, id_hash(id), r) != 0)
			free(r);
	}
	return -1;
}

/*
 * The owning lcore of a new flow. The pipeline reads the state of the flows a flow names
 * (rtp_flow's statistics, a dst_latch_flow's latched address): those must be owned by the same
 * lcore, so a flow goes where the flows it names are, or where a flow that named it went.
 * Others go to the lcore that received their port's last frames (ICE's checks, DTLS: RSS
 * will send the media of that 5-tuple there too), so that frames are seldom handed over;
 * failing that, round robin.
 */
static unsigned choose_owner(struct dpdk_dp *d, const struct ponte_flow_spec *spec, uint64_t *gid)
{
	struct pending_ref *r =
	    dp_htab_find(&d->pending_refs, id_hash(spec->id), ref_eq, &spec->id);
	int owner = -1;

	/* Its group (steer.c moves groups whole): the group of the flows it is tied to, else
	 * a new one named after it. */
	*gid = spec->id;
	if (r != NULL) {
		owner = r->owner;
		*gid = r->gid;
		dp_htab_remove(&d->pending_refs, id_hash(spec->id), r);
		free(r);
	}
	if (owner < 0 && spec->rtp_flow != 0)
		owner = owner_of_ref(d, spec->rtp_flow, -1, gid);
	for (unsigned i = 0; owner < 0 && i < spec->nb_outputs; i++)
		if (spec->outputs[i].dst_latch_flow != 0)
			owner = owner_of_ref(d, spec->outputs[i].dst_latch_flow, -1, gid);
	if (owner < 0) {
		const struct dport *p = c_port(d, spec->port_id);
		uint16_t rx = p != NULL ? atomic_load_explicit(&p->rx_lcore, memory_order_relaxed)
					: DPORT_NONE_LCORE;

		owner = rx < d->nb_lcores ? rx : (int)(d->next_owner++ % d->nb_lcores);
	}
	/* Those it names that do not exist yet follow it. */
	if (spec->rtp_flow != 0)
		owner_of_ref(d, spec->rtp_flow, owner, gid);
	for (unsigned i = 0; i < spec->nb_outputs; i++)
		if (spec->outputs[i].dst_latch_flow != 0)
			owner_of_ref(d, spec->outputs[i].dst_latch_flow, owner, gid);
	return (unsigned)owner;
}

static int dpdk_flow_add(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct fslot *s;
	struct dp_flow *f;
	struct fkey k;
	int rc;

	dpdk_collect_garbage(d);
	if (slot_by_id(d, spec->id) != NULL)
		return -EEXIST;
	rc = check_ports(d, spec);
	if (rc != 0)
		return rc;
	key_of(d, spec, &k);
	if (slot_by_key(d, &k) != NULL)
		return -EEXIST;
	if (d->c_by_id.nb >= d->max_flows)
		return -ENOSPC;
	rc = dp_flow_build(d->srtp, spec, NULL, &f);
	if (rc != 0)
		return rc;
	s = slot_alloc(d);
	if (s == NULL || exact_note(d, &k, 1) != 0) {
		dp_flow_free(d->srtp, f);
		dpdk_slot_put(d, s);
		return -ENOMEM;
	}
	__atomic_store_n(&s->id, spec->id, __ATOMIC_RELAXED);
	s->latest = f;
	s->key = k;
	s->is_exact = k.is_any == 0;
	s->key_hash = fkey_hash(&k);
	s->owner = (uint16_t)choose_owner(d, spec, &s->gid);
	exact_mark(d, s);
	rc = dpdk_ftable_flow_add(d, s);
	if (rc != 0) {
		exact_note(d, &k, -1);
		dp_flow_free(d->srtp, f);
		dpdk_slot_put(d, s);
		return rc;
	}
	dp_htab_insert(&d->c_by_id, id_hash(s->id), s);
	dp_htab_insert(&d->c_by_key, s->key_hash, s);
	dpdk_steer_add(d, s);
	dpdk_cmd_send(d, d->lcores[s->owner], DCMD_FLOW_SET, s, NULL, 0, f);
	return 0;
}

/* Undo dp_flow_build(old -> f) that will not be installed: the contexts f took from old
 * stay with old, which is live. */
static void unbuild(struct dpdk_dp *d, struct dp_flow *old, struct dp_flow *f)
{
	if (f->in == old->in)
		f->in = NULL;
	for (unsigned i = 0; i < f->nb_outputs; i++)
		for (unsigned j = 0; j < old->nb_outputs && f->os[i].ctx != NULL; j++)
			if (f->os[i].ctx == old->os[j].ctx)
				f->os[i].ctx = NULL;
	old->given_away = 0;
	dp_flow_free(d->srtp, f);
}

static int dpdk_flow_modify(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct fslot *s, *other, *ns;
	struct dp_flow *f;
	struct fkey k;
	int rc;

	dpdk_collect_garbage(d);
	s = slot_by_id(d, spec->id);
	if (s == NULL)
		return -ENOENT;
	rc = check_ports(d, spec);
	if (rc != 0)
		return rc;
	key_of(d, spec, &k);
	other = slot_by_key(d, &k);
	if (other != NULL && other != s)
		return -EEXIST;
	rc = dp_flow_build(d->srtp, spec, s->latest, &f);
	if (rc != 0)
		return rc;
	if (other == s) {
		s->latest = f;
		dpdk_cmd_send(d, d->lcores[s->owner], DCMD_FLOW_SET, s, NULL, 0, f);
		return 0;
	}
	/* Another key (the flow moved to another port, or another source): a new slot under
	 * it, on the same lcore, which carries the state over from the old one. */
	ns = slot_alloc(d);
	rc = ns == NULL ? -ENOMEM : exact_note(d, &k, 1);
	if (rc == 0) {
		*ns = (struct fslot){.owner = s->owner,
				     .gid = s->gid,
				     .id = s->id,
				     .latest = f,
				     .key = k,
				     .is_exact = k.is_any == 0,
				     .key_hash = fkey_hash(&k)};
		exact_mark(d, ns);
		rc = dpdk_ftable_flow_add(d, ns);
		if (rc != 0)
			exact_note(d, &k, -1);
	}
	if (rc != 0) {
		free(ns);
		unbuild(d, s->latest, f);
		return rc;
	}
	dp_htab_remove(&d->c_by_id, id_hash(s->id), s);
	dp_htab_remove(&d->c_by_key, s->key_hash, s);
	dp_htab_insert(&d->c_by_id, id_hash(ns->id), ns);
	dp_htab_insert(&d->c_by_key, ns->key_hash, ns);
	dpdk_steer_del(d, s);
	dpdk_steer_add(d, ns);
	dpdk_ftable_flow_del(d, s);
	exact_note(d, &s->key, -1);
	dpdk_cmd_send(d, d->lcores[s->owner], DCMD_FLOW_SET, ns, s, 0, f);
	return 0;
}

static int dpdk_flow_delete(struct ponte_dp *dp, uint64_t id)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct fslot *s;

	dpdk_collect_garbage(d);
	s = slot_by_id(d, id);
	if (s == NULL)
		return -ENOENT;
	dp_htab_remove(&d->c_by_id, id_hash(id), s);
	dp_htab_remove(&d->c_by_key, s->key_hash, s);
	dpdk_steer_del(d, s);
	dpdk_ftable_flow_del(d, s);
	exact_note(d, &s->key, -1);
	dpdk_cmd_send(d, d->lcores[s->owner], DCMD_FLOW_DEL, s, NULL, 0, NULL);
	return 0;
}

static int dpdk_flow_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct fslot *s = slot_by_id(d, id);
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;

	if (s == NULL)
		return -ENOENT;
	/* All uint64_t, each written by the owning lcore: load each one atomically. */
	src = (const uint64_t *)&s->latest->st;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}

static struct dpdk_txbuf *txbuf_new(uint32_t port_id, const struct ponte_addr *dst,
				    const uint8_t *pkt, size_t len)
{
	struct dpdk_txbuf *b;

	if (len > DP_PIPE_PKT_MAX)
		return NULL;
	b = malloc(sizeof(*b));
	if (b == NULL)
		return NULL;
	b->port_id = port_id;
	if (dst != NULL)
		b->dst = *dst;
	else
		memset(&b->dst, 0, sizeof(b->dst));
	b->len = (uint16_t)len;
	memcpy(b->data, pkt, len);
	return b;
}

static int dpdk_flow_inject(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			    size_t len)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct fslot *s = slot_by_id(d, id);
	struct dpdk_txbuf *b;

	dpdk_collect_garbage(d);
	if (s == NULL)
		return -ENOENT;
	if (output >= s->latest->spec.nb_outputs)
		return -EINVAL;
	if (ponte_demux_classify(pkt, len) == PONTE_PKT_RTCP ? !dp_rtcp_is_valid(pkt, len)
							     : !dp_rtp_is_valid(pkt, len))
		return -EINVAL;
	b = txbuf_new(0, NULL, pkt, len);
	if (b == NULL)
		return len > DP_PIPE_PKT_MAX ? -EMSGSIZE : -ENOMEM;
	dpdk_cmd_send(d, d->lcores[s->owner], DCMD_INJECT, s, NULL, output, b);
	return 0;
}

static int dpdk_send(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		     const uint8_t *pkt, size_t len)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct dpdk_txbuf *b;

	dpdk_collect_garbage(d);
	if (c_port(d, port_id) == NULL)
		return -ENOENT;
	b = txbuf_new(port_id, dst, pkt, len);
	if (b == NULL)
		return len > DP_PIPE_PKT_MAX ? -EMSGSIZE : -ENOMEM;
	dpdk_cmd_send(d, d->lcores[0], DCMD_SEND, NULL, NULL, 0, b);
	return 0;
}

static int dpdk_input(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		      const uint8_t *pkt, size_t len)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct dpdk_in_slot *slot;

	if (len > DP_PIPE_PKT_MAX)
		return -EMSGSIZE;
	slot = dp_ring_reserve(&d->input, NULL);
	if (slot == NULL) {
		atomic_fetch_add_explicit(&d->input_drops, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	slot->port_id = port_id;
	slot->src = *src;
	slot->len = (uint16_t)len;
	memcpy(slot->data, pkt, len);
	/* Lcore 0 polls the ring; it needs a wake-up only if it waits for interrupts. */
	dp_ring_push(&d->input);
	dpdk_lcore_wake(d->lcores[0]);
	return 0;
}

/* ---- punts, sync, stats ---- */

static int dpdk_punt_fd(const struct ponte_dp *dp)
{
	return ((const struct dpdk_dp *)dp)->punt_efd;
}

static struct ponte_dp_punt *next_punt(struct dpdk_dp *d, struct dpdk_lcore **from)
{
	for (unsigned k = 0; k < d->nb_lcores; k++) {
		struct dpdk_lcore *l = d->lcores[(d->punt_next + k) % d->nb_lcores];
		struct ponte_dp_punt *p = dp_ring_peek(&l->punts);

		if (p != NULL) {
			/* Round robin: one busy lcore does not starve the others' punts. */
			d->punt_next = (d->punt_next + k + 1) % d->nb_lcores;
			*from = l;
			return p;
		}
	}
	return NULL;
}

static int dpdk_punt_read(struct ponte_dp *dp, struct ponte_dp_punt *out)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct dpdk_lcore *l = NULL;
	struct ponte_dp_punt *p;

	/* The lcores wake this thread through the punt eventfd when they hand frames over. */
	dpdk_steer_rebalance(d);
	p = next_punt(d, &l);

	if (p == NULL) {
		uint64_t v;
		bool is_waiting = false;

		(void)!read(d->punt_efd, &v, sizeof(v));
		/* A punt may have landed between the look and the drain: look again, fenced
		 * against the lcores' dp_ring_push_wake(). */
		for (unsigned k = 0; k < d->nb_lcores; k++)
			is_waiting |= dp_ring_idle_check(&d->lcores[k]->punts);
		if (!is_waiting || (p = next_punt(d, &l)) == NULL)
			return 0;
	}
	memcpy(out, p, offsetof(struct ponte_dp_punt, data) + p->len);
	dp_ring_pop(&l->punts);
	return 1;
}

static int dpdk_sync(struct ponte_dp *dp)
{
	struct dpdk_dp *d = to_dpdk(dp);
	uint64_t seq[DPDK_MAX_LCORES];
	int waited = 0;

	/* Two rounds. An lcore runs its commands before it polls its queues, so the first
	 * command may be done just before the poll that takes a frame the NIC already held at
	 * this call; the second is done after that poll and what it took (frames it handed to
	 * another lcore may still be on their way there). */
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < d->nb_lcores; i++)
			seq[i] = dpdk_cmd_send(d, d->lcores[i], DCMD_SYNC, NULL, NULL, 0, NULL);
		for (unsigned i = 0; i < d->nb_lcores; i++) {
			while (atomic_load_explicit(&d->lcores[i]->done_seq,
						    memory_order_acquire) < seq[i]) {
				struct timespec ts = {0, 100000};

				nanosleep(&ts, NULL);
				if (++waited > 50000) /* 5 s: an lcore is stuck */
					return -ETIMEDOUT;
			}
		}
	}
	dpdk_collect_garbage(d);
	dpdk_ftable_reclaim(d, true);
	return 0;
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static int dpdk_lcore_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_lcore_stats *out)
{
	struct dpdk_dp *d = to_dpdk(dp);
	const uint64_t *src;
	uint64_t *dst;

	if (i >= d->nb_lcores)
		return -ENOENT;
	out->lcore_id = d->lcores[i]->st.lcore_id;
	out->nb_flows = LOAD(d->lcores[i]->st.nb_flows);
	/* The rest is all uint64_t, each written by the lcore: load each one atomically. */
	src = &d->lcores[i]->st.rx_pkts;
	dst = &out->rx_pkts;
	for (size_t k = 0; k < (sizeof(*out) - offsetof(struct ponte_dp_lcore_stats, rx_pkts)) / 8;
	     k++)
		dst[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	return 0;
}

static void dpdk_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out)
{
	struct dpdk_dp *d = to_dpdk(dp);

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < d->nb_lcores; i++) {
		struct ponte_dp_lcore_stats st;

		dpdk_lcore_stats(dp, i, &st);
		out->rx_pkts += st.rx_pkts;
		out->no_flow += st.no_flow;
		out->punted += st.punted;
		out->punt_drops += st.punt_drops;
		out->tx_pkts += st.tx_pkts;
		out->tx_errors += st.drops[PONTE_DP_DROP_TX_FULL] + st.drops[PONTE_DP_DROP_NO_MBUF];
	}
	out->input_drops = atomic_load_explicit(&d->input_drops, memory_order_relaxed);
	out->steer_rules = d->nb_steer_rules;
	out->steer_failed = d->nb_steer_failed;
	out->flow_moves = d->nb_moves;
	out->nb_flows = d->c_by_id.nb;
	out->nb_ports = d->nb_c_ports;
}

/* What the drivers counted on NIC i and its exception port, rather than counters of our own
 * in the lcores: they count every frame, by whichever path, and cost the loop nothing. */
static int dpdk_nic_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_nic_stats *out)
{
	struct dpdk_dp *d = to_dpdk(dp);
	struct rte_eth_stats es;

	if (i >= d->nb_nics || !d->nic[i].is_open)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	snprintf(out->device, sizeof(out->device), "%s", d->nic[i].name);
	out->vlan = d->nic[i].vlan;
	out->eth_nic = d->eth_of[i];
	/* Ours, per logical NIC: the driver's are the device's, shared by its VLANs. */
	for (unsigned j = 0; j < d->nb_lcores; j++) {
		const struct dpdk_nic_count *c;

		if (d->lcores[j] == NULL)
			continue;
		c = &d->lcores[j]->nic_st[i];
		out->lcore_rx_pkts += __atomic_load_n(&c->rx_pkts, __ATOMIC_RELAXED);
		out->lcore_rx_bytes += __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
		out->lcore_tx_pkts += __atomic_load_n(&c->tx_pkts, __ATOMIC_RELAXED);
		out->lcore_tx_bytes += __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
	}
	if (rte_eth_stats_get(d->nic[i].port_id, &es) == 0) {
		out->rx_pkts = es.ipackets;
		out->rx_bytes = es.ibytes;
		out->tx_pkts = es.opackets;
		out->tx_bytes = es.obytes;
		out->rx_missed = es.imissed;
		out->rx_errors = es.ierrors;
		out->tx_errors = es.oerrors;
	}
	/* The exception port's side is the kernel's: what it received we sent to the kernel. */
	if (d->exc[i].is_open && rte_eth_stats_get(d->exc[i].port_id, &es) == 0) {
		out->to_kernel = es.opackets;
		out->from_kernel = es.ipackets;
	}
	return 0;
}

/* ---- life ---- */

static void dpdk_destroy(struct ponte_dp *dp)
{
	struct dpdk_dp *d = to_dpdk(dp);

	for (unsigned i = 0; i < d->nb_lcores; i++) {
		struct dpdk_lcore *l = d->lcores[i];

		if (l != NULL && l->is_running) {
			atomic_store_explicit(&l->is_stopping, true, memory_order_release);
			rte_eal_wait_lcore(l->lcore_id);
			l->is_running = false;
		}
	}
	/* The lcores are gone: apply what they left, then free every entry. */
	if (d->c_ports != NULL) {
		dpdk_collect_garbage(d);
		for (unsigned i = 0; i < d->nb_lcores; i++) {
			if (d->lcores[i] != NULL) {
				dpdk_lcore_drain_stopped(d->lcores[i]);
				dpdk_collect_garbage(d);
			}
		}
		for (uint32_t i = 0; d->c_by_id.items != NULL && i <= d->c_by_id.mask; i++) {
			struct fslot *s = d->c_by_id.items[i];

			if (s == NULL)
				continue;
			dp_flow_free(d->srtp, s->cur);
			free(s);
		}
		for (uint32_t i = 0; d->pending_refs.items != NULL && i <= d->pending_refs.mask;
		     i++)
			free(d->pending_refs.items[i]);
		for (uint32_t i = 0; d->c_exact.items != NULL && i <= d->c_exact.mask; i++)
			free(d->c_exact.items[i]);
		for (uint32_t id = 1; id <= d->max_ports; id++)
			if (d->c_ports[id] != NULL)
				dpdk_ftable_port_free(d, d->c_ports[id]);
	}
	dpdk_ftable_destroy(d);
	while (d->c_free_slots != NULL) {
		struct fslot *s = d->c_free_slots;

		d->c_free_slots = s->next_free;
		free(s);
	}
	dpdk_neigh_destroy(d);
	for (unsigned i = 0; i < d->nb_lcores; i++) {
		struct dpdk_lcore *l = d->lcores[i];
		struct rte_mbuf *m;

		while (l != NULL && l->handoff != NULL &&
		       rte_ring_dequeue(l->handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		dpdk_lcore_free(l);
	}
	dpdk_ports_stop(d);
	dp_htab_fini(&d->c_by_id);
	dp_htab_fini(&d->c_by_key);
	dp_htab_fini(&d->c_exact);
	dp_htab_fini(&d->pending_refs);
	dp_ring_fini(&d->input);
	free(d->c_ports);
	free((void *)d->ports);
	if (d->punt_efd >= 0)
		close(d->punt_efd);
	dpdk_owned_stop(d);
	dpdk_eal_stop(d);
	free(d);
	is_taken = false;
}

static int dpdk_create(const struct ponte_dp_config *cfg, const struct dp_srtp_engine *srtp,
		       struct ponte_dp **out)
{
	struct dpdk_dp *d;
	int rc;

	if (cfg->dpdk == NULL) {
		if (cfg->log != NULL)
			cfg->log(cfg->log_ctx, DPDK_LOG_ERROR, "dpdk: no settings given");
		return -EINVAL;
	}
	if (is_taken)
		return -EBUSY;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	is_taken = true;
	d->srtp = srtp;
	d->log = cfg->log;
	d->log_ctx = cfg->log_ctx;
	d->max_flows = cfg->max_flows;
	d->max_ports = cfg->max_ports;
	d->input_queue = cfg->input_queue;
	d->is_idle_poll = cfg->dpdk->is_idle_poll;
	d->is_idle_interrupt = cfg->dpdk->is_idle_interrupt && !d->is_idle_poll;
	d->idle_sleep_us = cfg->dpdk->idle_sleep_us ? cfg->dpdk->idle_sleep_us : 1000;
	d->mempool_size = cfg->dpdk->mempool_size;
	d->punt_efd = -1;
	for (unsigned k = 0; k < DPDK_MAX_NICS; k++)
		d->raw_fd4[k] = d->raw_fd6[k] = -1;
	rc = dpdk_owned_start(d, cfg->dpdk);
	if (rc != 0)
		goto fail;
	rc = dpdk_eal_start(d, cfg);
	if (rc != 0)
		goto fail;
	rc = dpdk_ports_start(d, cfg->dpdk);
	if (rc != 0)
		goto fail;
	dpdk_owned_scan(d); /* after the ports: it needs the NICs' addresses */
	dpdk_steer_probe(d);
	rc = -ENOMEM;
	d->c_ports = calloc(d->max_ports + 1, sizeof(*d->c_ports));
	d->ports = calloc(d->max_ports + 1, sizeof(*d->ports));
	if (d->c_ports == NULL || d->ports == NULL ||
	    dp_htab_init(&d->c_by_id, d->max_flows) != 0 ||
	    dp_htab_init(&d->c_by_key, d->max_flows) != 0 ||
	    dp_htab_init(&d->c_exact, d->max_flows) != 0 ||
	    dp_htab_init(&d->pending_refs, d->max_flows) != 0 ||
	    dp_ring_init(&d->input, d->input_queue, sizeof(struct dpdk_in_slot)) != 0)
		goto fail;
	rc = dpdk_ftable_create(d);
	if (rc == 0)
		rc = dpdk_neigh_create(d);
	if (rc != 0)
		goto fail;
	d->punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->punt_efd < 0) {
		rc = -errno;
		goto fail;
	}
	for (unsigned i = 0; i < d->nb_lcores; i++) {
		rc = dpdk_lcore_create(d, i, d->lcore_ids[i], &d->lcores[i]);
		if (rc != 0)
			goto fail;
	}
	for (unsigned i = 0; i < d->nb_lcores; i++) {
		rc = rte_eal_remote_launch(dpdk_lcore_main, d->lcores[i], d->lcore_ids[i]);
		if (rc != 0) {
			dpdk_log(d, DPDK_LOG_ERROR, "dpdk.lcores: lcore %u is busy",
				 d->lcore_ids[i]);
			goto fail;
		}
		d->lcores[i]->is_running = true;
	}
	*out = &d->base;
	return 0;
fail:
	dpdk_destroy(&d->base);
	return rc;
}

const struct dp_backend_ops dp_dpdk_backend = {
    .name = "dpdk",
    .create = dpdk_create,
    .destroy = dpdk_destroy,
    .port_attach = dpdk_port_attach,
    .port_attach_fn = dpdk_port_attach_fn,
    .port_open = dpdk_port_open,
    .port_close = dpdk_port_close,
    .flow_add = dpdk_flow_add,
    .flow_modify = dpdk_flow_modify,
    .flow_delete = dpdk_flow_delete,
    .flow_stats = dpdk_flow_stats,
    .flow_inject = dpdk_flow_inject,
    .input = dpdk_input,
    .send = dpdk_send,
    .punt_fd = dpdk_punt_fd,
    .punt_read = dpdk_punt_read,
    .sync = dpdk_sync,
    .get_stats = dpdk_get_stats,
    .lcore_stats = dpdk_lcore_stats,
    .nic_stats = dpdk_nic_stats,
};
