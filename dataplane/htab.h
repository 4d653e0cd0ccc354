/* SPDX-License-Identifier: MIT */
/*
 * Open-addressing hash table of pointers with linear probing and backward-shift deletion, sized
 * once at creation (no allocation afterwards). Callers provide the hash and an equality test,
 * so one table type serves every key. Not thread-safe: one thread owns each table.
 */
#ifndef PONTE_DP_HTAB_H
#define PONTE_DP_HTAB_H

#include <stdbool.h>
#include <stdint.h>

struct dp_htab {
	uint64_t *hashes; /* 0 marks an empty slot; stored hashes are never 0 */
	void **items;
	uint32_t mask;
	uint32_t nb;
	uint32_t max; /* refuse inserts beyond this, keeping the load under 1/2 */
};

int dp_htab_init(struct dp_htab *t, uint32_t max_items);
void dp_htab_fini(struct dp_htab *t);

/* -ENOSPC when max_items are in. Duplicates are the caller's business. */
int dp_htab_insert(struct dp_htab *t, uint64_t hash, void *item);

/* The first item with this hash for which eq(item, key) holds, or NULL. */
void *dp_htab_find(const struct dp_htab *t, uint64_t hash, bool (*eq)(const void *item,
								      const void *key),
		   const void *key);

/* Remove this exact item (found by hash and pointer); false if absent. */
bool dp_htab_remove(struct dp_htab *t, uint64_t hash, const void *item);

/* 64-bit mix of a byte string (FNV-1a then a finaliser); never returns 0. */
uint64_t dp_hash_bytes(const void *data, unsigned len, uint64_t seed);

#endif
