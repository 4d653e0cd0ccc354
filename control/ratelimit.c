/* SPDX-License-Identifier: MIT */
#include "ratelimit.h"

#define SCALE 1000000LL

void ratelimit_init(struct ratelimit *rl, int64_t rate, int64_t burst, int64_t now_us)
{
	rl->rate = rate;
	rl->burst = burst;
	rl->tokens_us = burst * SCALE;
	rl->last_us = now_us;
}

bool ratelimit_take(struct ratelimit *rl, int64_t now_us)
{
	int64_t cap = rl->burst * SCALE;

	if (now_us > rl->last_us) {
		int64_t elapsed = now_us - rl->last_us;

		/* Clamp before multiplying: a long idle gap must not overflow. */
		if (elapsed > cap)
			elapsed = cap;
		rl->tokens_us += elapsed * rl->rate;
		if (rl->tokens_us > cap)
			rl->tokens_us = cap;
		rl->last_us = now_us;
	}
	if (rl->tokens_us < SCALE)
		return false;
	rl->tokens_us -= SCALE;
	return true;
}
