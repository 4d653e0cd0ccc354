/* SPDX-License-Identifier: MIT */
/*
 * The tables every lcore reads: flows (local address and port, remote address and port ->
 * slot) and local addresses (-> Ponte port), each an rte_hash with lock-free readers
 * (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) and one writer, the control thread.
 *
 * A withdrawn entry may still be in use by an lcore that looked it up just before: its slot
 * or port, and its key's place in the table (which the table does not free itself on delete
 * in lock-free mode), are freed only after an RCU grace period (rte_rcu_qsbr: each lcore
 * reports a quiescent state between bursts, and goes offline while it sleeps). Forwarding never
 * waits for the writer, nor the writer for forwarding except in ponte_dp_sync().
 */
#include "dpdk.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

/* What waits for its grace period. */
struct dpdk_defer {
	uint64_t token;
	enum { DEF_FLOW, DEF_PORT } kind;
	struct rte_hash *table;
	int32_t pos; /* the key's place in table, -1: none */
	void *ptr;
};

void dpdk_fkey_make(struct fkey *k, const struct dport *p, uint32_t port_id,
		    const struct ponte_addr *src, bool is_any)
{
	memset(k, 0, sizeof(*k));
	if (p == NULL || p->kind == DPORT_FN || p->local.family == 0) {
		k->family = FKEY_FAMILY_PORT_ID;
		memcpy(k->lip, &port_id, sizeof(port_id));
	} else {
		k->family = p->local.family;
		k->lport = p->local.port;
		memcpy(k->lip, p->local.ip, p->local.family == AF_INET ? 4 : 16);
	}
	if (is_any || src == NULL || src->family == 0) {
		k->is_any = 1;
		return;
	}
	k->rport = src->port;
	memcpy(k->rip, src->ip, src->family == AF_INET ? 4 : 16);
	/* A remote of the other family than the port's can never match a frame: keep it apart
	 * all the same, as the socket backend's exact match would. */
	if (src->family != k->family && k->family != FKEY_FAMILY_PORT_ID)
		k->is_any = 2;
}

hash_sig_t dpdk_fkey_rx(struct fkey *k, const struct ponte_addr *local,
			const struct ponte_addr *remote)
{
	uint64_t w[6] = {0};
	hash_sig_t h = FKEY_HASH_INIT;

	/* dpdk_fkey_make()'s layout: family, local port, remote port, is_any; the two addresses,
	 * 16 bytes each; 8 zero bytes. An IPv4 address is one 4-byte load, as parse.c stored it. */
	w[0] = local->family | (uint64_t)local->port << 16 |
	       (remote == NULL ? (uint64_t)1 << 48 : (uint64_t)remote->port << 32);
	if (local->family == AF_INET) {
		uint32_t a;

		memcpy(&a, local->ip, 4);
		w[1] = a;
		if (remote != NULL) {
			memcpy(&a, remote->ip, 4);
			w[3] = a;
		}
	} else {
		memcpy(&w[1], local->ip, 16);
		if (remote != NULL)
			memcpy(&w[3], remote->ip, 16);
	}
	for (unsigned i = 0; i < 6; i++)
		h = rte_hash_crc_8byte(w[i], h);
	dpdk_store_words(k, w, 6);
	return h;
}

void dpdk_pkey_make(struct pkey *k, const struct ponte_addr *local)
{
	memset(k, 0, sizeof(*k));
	k->family = local->family;
	k->port = local->port;
	memcpy(k->ip, local->ip, local->family == AF_INET ? 4 : 16);
}

static struct rte_hash *table_create(const char *name, uint32_t entries, uint32_t key_len)
{
	struct rte_hash_parameters p = {
	    .name = name,
	    /* The table's buckets fill unevenly; the extendable buckets take the rest, so
	     * that an add never fails short of `entries`. */
	    .entries = entries < 64 ? 64 : entries,
	    .key_len = key_len,
	    .hash_func = rte_hash_crc,
	    .hash_func_init_val = FKEY_HASH_INIT,
	    .socket_id = (int)rte_socket_id(),
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	return rte_hash_create(&p);
}

int dpdk_ftable_create(struct dpdk_dp *d)
{
	size_t sz = rte_rcu_qsbr_get_memsize(d->nb_lcores);

	d->flows = table_create("ponte_flows", d->max_flows * 2, sizeof(struct fkey));
	d->local = table_create("ponte_local", d->max_ports, sizeof(struct pkey));
	d->qsbr = rte_zmalloc("ponte_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (d->flows == NULL || d->local == NULL || d->qsbr == NULL) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dataplane: no memory for tables of %u flows and %u "
			 "ports (dataplane.max_flows, dpdk.memory)",
			 d->max_flows, d->max_ports);
		return -ENOMEM;
	}
	return rte_rcu_qsbr_init(d->qsbr, d->nb_lcores) == 0 ? 0 : -EINVAL;
}

static void release(struct dpdk_dp *d, struct dpdk_defer *e)
{
	if (e->pos >= 0)
		rte_hash_free_key_with_position(e->table, e->pos);
	if (e->kind == DEF_FLOW) {
		dpdk_slot_put(d, e->ptr);
	} else if (e->kind == DEF_PORT) {
		dpdk_ftable_port_free(d, e->ptr);
	}
}

void dpdk_ftable_destroy(struct dpdk_dp *d)
{
	/* The lcores are gone: everything is past its grace period. */
	for (unsigned i = 0; i < d->nb_defer; i++)
		release(d, &d->defer[i]);
	free(d->defer);
	d->defer = NULL;
	d->nb_defer = d->cap_defer = 0;
	rte_hash_free(d->flows);
	rte_hash_free(d->local);
	rte_free(d->qsbr);
	d->flows = d->local = NULL;
	d->qsbr = NULL;
}

static void defer(struct dpdk_dp *d, int kind, struct rte_hash *table, int32_t pos, void *ptr)
{
	if (d->nb_defer == d->cap_defer) {
		unsigned cap = d->cap_defer ? 2 * d->cap_defer : 256;
		struct dpdk_defer *n = realloc(d->defer, cap * sizeof(*n));

		if (n == NULL) {
			/* No room to wait: wait here instead. */
			rte_rcu_qsbr_synchronize(d->qsbr, RTE_QSBR_THRID_INVALID);
			release(d, &(struct dpdk_defer){0, kind, table, pos, ptr});
			return;
		}
		d->defer = n;
		d->cap_defer = cap;
	}
	d->defer[d->nb_defer++] = (struct dpdk_defer){
	    .token = rte_rcu_qsbr_start(d->qsbr),
	    .kind = kind,
	    .table = table,
	    .pos = pos,
	    .ptr = ptr,
	};
}

void dpdk_ftable_reclaim(struct dpdk_dp *d, bool wait)
{
	unsigned i = 0;

	/* Tokens only grow: the first one not yet past its grace period stops the walk. */
	while (i < d->nb_defer && rte_rcu_qsbr_check(d->qsbr, d->defer[i].token, wait) == 1)
		release(d, &d->defer[i++]);
	if (i > 0) {
		memmove(d->defer, d->defer + i, (d->nb_defer - i) * sizeof(*d->defer));
		d->nb_defer -= i;
	}
}

int dpdk_ftable_flow_add(struct dpdk_dp *d, struct fslot *s)
{
	int32_t pos = rte_hash_add_key_data(d->flows, &s->key, s);

	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : -EINVAL;
	/* rte_hash_add_key_data() does not give the position; the lookup does. */
	s->hpos = rte_hash_lookup(d->flows, &s->key);
	return 0;
}

void dpdk_ftable_flow_del(struct dpdk_dp *d, struct fslot *s)
{
	int32_t pos = rte_hash_del_key(d->flows, &s->key);

	s->hpos = pos >= 0 ? pos : -1;
}

void dpdk_ftable_slot_retire(struct dpdk_dp *d, struct fslot *s)
{
	defer(d, DEF_FLOW, d->flows, s->hpos, s);
}

int dpdk_ftable_port_set(struct dpdk_dp *d, struct dport *p)
{
	struct pkey k;
	int rc;

	dpdk_pkey_make(&k, &p->local);
	/* A port already there with this address (a socket attached again under a new id
	 * while the old one closes): the newest takes it. */
	rc = rte_hash_add_key_data(d->local, &k, p);
	if (rc != 0)
		return rc == -ENOSPC ? -ENOSPC : -EINVAL;
	p->hpos = rte_hash_lookup(d->local, &k);
	return 0;
}

void dpdk_ftable_port_del(struct dpdk_dp *d, struct dport *p, struct dport *next)
{
	struct pkey k;
	void *cur = NULL;
	int32_t pos = -1;

	if (p->hpos >= 0) {
		dpdk_pkey_make(&k, &p->local);
		if (rte_hash_lookup_data(d->local, &k, &cur) >= 0 && cur == p) {
			if (next != NULL) {
				rte_hash_add_key_data(d->local, &k, next);
				next->hpos = p->hpos;
			} else {
				pos = rte_hash_del_key(d->local, &k);
			}
		}
	}
	defer(d, DEF_PORT, d->local, pos, p);
}

void dpdk_ftable_port_free(struct dpdk_dp *d, struct dport *p)
{
	(void)d;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}
