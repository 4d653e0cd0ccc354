/* SPDX-License-Identifier: MIT */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>

int dp_htab_init(struct dp_htab *t, uint32_t max_items)
{
	uint32_t n = 16;

	while (n < 2 * (uint64_t)max_items && n < (1u << 31))
		n <<= 1;
	t->hashes = calloc(n, sizeof(*t->hashes));
	t->items = calloc(n, sizeof(*t->items));
	if (t->hashes == NULL || t->items == NULL) {
		dp_htab_fini(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	t->nb = 0;
	t->max = max_items;
	return 0;
}

void dp_htab_fini(struct dp_htab *t)
{
	free(t->hashes);
	free(t->items);
	t->hashes = NULL;
	t->items = NULL;
}

int dp_htab_insert(struct dp_htab *t, uint64_t hash, void *item)
{
	uint32_t i = (uint32_t)hash & t->mask;

	if (t->nb >= t->max)
		return -ENOSPC;
	while (t->hashes[i] != 0)
		i = (i + 1) & t->mask;
	t->hashes[i] = hash;
	t->items[i] = item;
	t->nb++;
	return 0;
}

void *dp_htab_find(const struct dp_htab *t, uint64_t hash,
		   bool (*eq)(const void *item, const void *key), const void *key)
{
	for (uint32_t i = (uint32_t)hash & t->mask; t->hashes[i] != 0; i = (i + 1) & t->mask)
		if (t->hashes[i] == hash && eq(t->items[i], key))
			return t->items[i];
	return NULL;
}

bool dp_htab_remove(struct dp_htab *t, uint64_t hash, const void *item)
{
	uint32_t i = (uint32_t)hash & t->mask;

	while (t->hashes[i] != 0 && !(t->hashes[i] == hash && t->items[i] == item))
		i = (i + 1) & t->mask;
	if (t->hashes[i] == 0)
		return false;
	/* Backward shift: pull later members of the probe run into the hole so lookups never
	 * stop early at it (no tombstones to accumulate). */
	for (uint32_t j = (i + 1) & t->mask; t->hashes[j] != 0; j = (j + 1) & t->mask) {
		uint32_t home = (uint32_t)t->hashes[j] & t->mask;

		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->hashes[i] = t->hashes[j];
			t->items[i] = t->items[j];
			i = j;
		}
	}
	t->hashes[i] = 0;
	t->items[i] = NULL;
	t->nb--;
	return true;
}

uint64_t dp_hash_bytes(const void *data, unsigned len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (unsigned i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits are weak for short keys; a murmur-style finaliser spreads them. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}
