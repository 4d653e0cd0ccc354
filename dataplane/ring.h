/* SPDX-License-Identifier: MIT */
/*
 * Single-producer single-consumer ring of fixed-size slots, lock-free (C11 acquire/release).
 * The producer fills the slot from dp_ring_reserve() and publishes it with dp_ring_push();
 * the consumer reads dp_ring_peek() and releases it with dp_ring_pop(). Memory is allocated
 * once at creation.
 */
#ifndef PONTE_DP_RING_H
#define PONTE_DP_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct dp_ring {
	_Alignas(64) _Atomic uint32_t head; /* written by the producer */
	_Alignas(64) _Atomic uint32_t tail; /* written by the consumer */
	_Alignas(64) uint32_t mask;
	size_t slot_size;
	uint8_t *slots;
};

static inline int dp_ring_init(struct dp_ring *r, uint32_t nb_slots, size_t slot_size)
{
	uint32_t n = 1;

	while (n < nb_slots)
		n <<= 1;
	r->slots = calloc(n, slot_size);
	if (r->slots == NULL)
		return -1;
	r->mask = n - 1;
	r->slot_size = slot_size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

static inline void dp_ring_fini(struct dp_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

/* Producer: the slot to fill next, or NULL when full. *was_empty says whether the consumer
 * had caught up, i.e. whether it may be asleep and needs a wake-up after the push. */
static inline void *dp_ring_reserve(struct dp_ring *r, bool *was_empty)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head - tail > r->mask)
		return NULL;
	if (was_empty != NULL)
		*was_empty = head == tail;
	return r->slots + (size_t)(head & r->mask) * r->slot_size;
}

static inline void dp_ring_push(struct dp_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/*
 * Publish the reserved slot and say whether the consumer must be woken: true when it had
 * consumed everything before this slot, so it may be about to sleep. Pairs with
 * dp_ring_idle_check() on the consumer side: with a full fence on both sides, either the
 * consumer's last look sees this slot or this look sees the consumer caught up (a wake-up
 * can never be lost between the two).
 */
static inline bool dp_ring_push_wake(struct dp_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&r->tail, memory_order_relaxed) == head;
}

/* Consumer, before sleeping: true when a slot is waiting (then it must not sleep). */
static inline bool dp_ring_idle_check(struct dp_ring *r)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&r->head, memory_order_relaxed) !=
	       atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/* Consumer: the oldest slot, or NULL when empty. */
static inline void *dp_ring_peek(struct dp_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (head == tail)
		return NULL;
	return r->slots + (size_t)(tail & r->mask) * r->slot_size;
}

static inline void dp_ring_pop(struct dp_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

#endif
