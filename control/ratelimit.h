/* SPDX-License-Identifier: MIT */
/* Token bucket: `rate` events per second sustained, `burst` at once. Integer arithmetic. */
#ifndef PONTE_CONTROL_RATELIMIT_H
#define PONTE_CONTROL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	int64_t tokens_us; /* tokens scaled by 1e6, so refill needs no division per event */
	int64_t last_us;
	int64_t rate; /* tokens per second */
	int64_t burst;
};

void ratelimit_init(struct ratelimit *rl, int64_t rate, int64_t burst, int64_t now_us);

/* Take one token; false when the bucket is empty (the event must be refused). */
bool ratelimit_take(struct ratelimit *rl, int64_t now_us);

#endif
